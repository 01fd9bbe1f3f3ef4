"""A prompt card's ``Action.Execute`` (an ``adaptiveCard/action`` invoke with the verb
``submit_update``), answered in its HTTP response as Slack's modal submission is: the same
``bot`` flow and rules (``submit_from_form``: the update and its follow-ups stored in one
transaction), then the confirmation card, or the same card with what was entered and each
rule's message beside its field.

Who is submitting comes from the verified activity's ``from.aadObjectId`` (the person Ragtime
matched to that Teams account), never from the card's data, which says only which deliverable
and period it is for; ``submit_from_form`` checks that person may update it.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.followups import remember_form_shown
from bot.collection.rules import FIELDS
from bot.collection.submissions import (
    FormValues,
    errors_by_field,
    submit_from_form,
    update_form_for,
)
from bot.collection.values import Target
from bot.context import AppContext
from bot.framework.teams import teams_person
from handlers.teams.activities import CARD_ACTION
from handlers.teams.auth import Verified
from handlers.teams.cards.build import CARD_CONTENT_TYPE, as_json
from handlers.teams.cards.risk import RISK_VERBS
from handlers.teams.cards.update import (
    OPEN_VERB,
    SUBMIT_VERB,
    confirmation_card,
    notice_card,
    read_inputs,
    update_card,
)
from handlers.teams.decisions import VERBS as DECISION_VERBS
from handlers.teams.decisions import answer_decision
from handlers.teams.risk_invoke import answer_risk_action

log = logging.getLogger(__name__)

NOT_KNOWN = ("Ragtime does not know your Teams account yet: ask the governance team to check "
             "that your email in the framework file is the one Teams uses.")


def answer_card_action(ctx: AppContext, verified: Verified, activity: dict[str, Any]
                       ) -> tuple[int, dict[str, Any]]:
    """(HTTP status, invoke response body) for a verified invoke activity."""
    value = activity.get("value") if isinstance(activity.get("value"), dict) else {}
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    verb = action.get("verb")
    if activity.get("name") == CARD_ACTION and verb in DECISION_VERBS:
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        return 200, answer_decision(ctx, activity, str(verb), data)
    if activity.get("name") == CARD_ACTION and verb in RISK_VERBS:
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        return 200, answer_risk_action(ctx, activity, str(verb), data)
    if activity.get("name") != CARD_ACTION or verb not in (SUBMIT_VERB, OPEN_VERB):
        return 200, _error(400, "BadRequest", "Ragtime does not know this action.")
    sender = activity.get("from") if isinstance(activity.get("from"), dict) else {}
    aad = str(sender.get("aadObjectId") or "")
    person = teams_person(ctx.engine, aad) if aad else None
    if person is None:
        return 200, _card(notice_card(NOT_KNOWN))
    person_id, name = person
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    try:
        target = Target(int(data["deliverable_id"]), Period.parse(str(data["period"])))
    except (KeyError, TypeError, ValueError, PeriodError):
        return 200, _error(400, "BadRequest", "This card names no deliverable.")
    if verb == OPEN_VERB:  # a reminder's button: the form, if this person may update it
        # Teams shows the answer in place of the reminder (``replyToId``): remembered, so that
        # card is redrawn like a prompt when a co-owner answers (``handlers.teams.followups``).
        conversation = activity.get("conversation") if isinstance(
            activity.get("conversation"), dict) else {}
        remember_form_shown(ctx, conversation_id=str(conversation.get("id") or ""),
                            activity_id=str(activity.get("replyToId") or ""),
                            person_id=person_id, deliverable_id=target.deliverable_id)
        return 200, _form(ctx, target, person_id)
    entered = read_inputs(data)
    result = submit_from_form(ctx, actor=None, target=target, entered=entered,
                              form_id=str(activity.get("id") or ""), person_id=person_id,
                              teams=True)
    if result.errors is not None or result.refusal is not None:
        return 200, _form(ctx, target, person_id, entered=entered,
                          errors=errors_by_field(result.errors or {}, FIELDS),
                          refusal=result.refusal)
    stored = result.stored
    if stored is None:  # the same card submitted twice: the first is what counts
        offer = update_form_for(ctx, None, target, person_id=person_id)
        facts = offer.facts
        return 200, _card(notice_card(
            f"Already received: version {facts.current_version} is saved."
            if facts and facts.current_version else "Already received."))
    log.info("Teams update stored: deliverable %s, %s, version %s", stored.deliverable_id,
             stored.period.label, stored.version)
    return 200, _card(confirmation_card(
        target, number=stored.number, title=stored.title, rag=stored.rag,
        narrative=stored.narrative, version=stored.version, by=name, at=None))


def _form(ctx: AppContext, target: Target, person_id: int, *, entered: FormValues | None = None,
          errors: dict[str, str] | None = None, refusal: str | None = None) -> dict[str, Any]:
    """The deliverable's form (with what was entered and the rules' messages), or why there is
    none: not theirs, gone, or nothing can be saved now."""
    offer = update_form_for(ctx, None, target, person_id=person_id)
    if offer.facts is None:
        return _card(notice_card(refusal or offer.reason
                                 or "This deliverable cannot be updated now."))
    return _card(update_card(target, offer.facts, entered=entered, errors=errors,
                             refusal=refusal))


def _card(card: Any) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": as_json(card)}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "type": "application/vnd.microsoft.error",
            "value": {"code": code, "message": message}}
