"""A BAF risk card's ``Action.Execute`` (verbs ``submit_risk_return`` and ``risk_no_change``),
answered in its HTTP response as a prompt card's is: the same ``bot`` flows and rules as Slack's
modal and the web form (``bot.collection.risk_flows``: one write transaction), then the
confirmation card, or the same card with what was entered and each rule's message beside its
field, or the refusal (not an owner, the quarter locked…).

Who is returning comes from the verified activity's ``from.aadObjectId`` (the person Ragtime
matched to that Teams account); the card's data names only the risk and the quarter, and the
flow checks that person owns the risk. A retried invoke (the same activity id) is stored once.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.risk_flows import (
    ReturnOutcome,
    confirm_no_change,
    risk_form_for,
    submit_risk_return,
)
from bot.collection.risk_rules import ReturnFields
from bot.context import AppContext
from bot.framework.teams import teams_person
from handlers.teams.cards.build import CARD_CONTENT_TYPE, as_json
from handlers.teams.cards.risk import (
    NO_CHANGE_VERB,
    OPEN_RISK_VERB,
    read_risk_inputs,
    risk_card,
    risk_confirmation_card,
)
from handlers.teams.cards.update import notice_card

log = logging.getLogger(__name__)

SOURCE = "teams"
NOT_KNOWN = ("Ragtime does not know your Teams account yet: ask the governance team to check "
             "that your email in the framework file is the one Teams uses.")


def answer_risk_action(ctx: AppContext, activity: dict[str, Any], verb: str,
                       data: dict[str, Any]) -> dict[str, Any]:
    """The invoke response body for a risk card's action."""
    sender = activity.get("from") if isinstance(activity.get("from"), dict) else {}
    aad = str(sender.get("aadObjectId") or "")
    person = teams_person(ctx.engine, aad) if aad else None
    if person is None:
        return _card(notice_card(NOT_KNOWN))
    person_id = person[0]
    try:
        risk_id, period = int(data["risk_id"]), Period.parse(str(data["period"]))
    except (KeyError, TypeError, ValueError, PeriodError):
        return _error(400, "BadRequest", "This card names no BAF risk.")
    key = f"teams:{activity.get('id')}" if activity.get("id") else None
    if verb == OPEN_RISK_VERB:
        return _form(ctx, risk_id, period, person_id)
    if verb == NO_CHANGE_VERB:
        outcome = confirm_no_change(ctx, risk_id=risk_id, period=period, source=SOURCE,
                                    person_id=person_id, idempotency_key=key)
        entered = None
    else:
        entered = read_risk_inputs(data)
        outcome = submit_risk_return(ctx, risk_id=risk_id, period=period, entered=entered,
                                     source=SOURCE, person_id=person_id, idempotency_key=key)
    if outcome.ok:
        return _card(_confirmation(outcome, period))
    return _form(ctx, risk_id, period, person_id, entered=entered, errors=outcome.errors,
                 refusal=outcome.refused)


def _form(ctx: AppContext, risk_id: int, period: Period, person_id: int, *,
          entered: ReturnFields | None = None, errors: dict[str, str] | None = None,
          refusal: str | None = None) -> dict[str, Any]:
    """The risk's form (with what was entered and the rules' messages), or why there is
    none: not theirs, gone, or nothing can be saved now."""
    offer = risk_form_for(ctx, risk_id=risk_id, period=period, person_id=person_id)
    if offer.entry is None:
        return _card(notice_card(refusal or offer.refused or "Not saved.",
                                 title="BAF risk return"))
    return _card(risk_card(risk_id, period, offer.entry, entered=entered, errors=errors,
                           refusal=refusal))


def _confirmation(outcome: ReturnOutcome, period: Period) -> Any:
    saved = outcome.saved
    assert saved is not None
    stored = saved.stored
    log.info("Teams risk return stored: risk %s, %s, version %s", stored.risk_id,
             period.label, stored.version)
    return risk_confirmation_card(
        period=period, number=saved.risk.number, title=saved.risk.title, score=stored.score,
        likelihood=stored.likelihood, consequence=stored.consequence, version=stored.version,
        unchanged=stored.unchanged, flags=tuple(saved.flags))


def _card(card: Any) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": as_json(card)}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "type": "application/vnd.microsoft.error",
            "value": {"code": code, "message": message}}
