"""Approve and Request changes on the report summary card in Teams (``Action.Execute``).

Governance leads only (by AAD object id or email, ``bot.framework.teams.is_teams_lead``); the
lead is the verified activity's sender. Approving compiles the approved paper, which takes
longer than an invoke may wait, so the request is stored in the inbox and answered at once; the
worker decides (``bot.reports.decisions``, the same flows as Slack's buttons) and the summary
card is redrawn in place with its new status. Request changes first answers with a card asking
what should change and which deliverables go back to their SROs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    Choice,
    ChoiceSetInput,
    ExecuteAction,
    TextInput,
)

from bot.context import AppContext
from bot.framework.teams import is_teams_lead
from bot.messaging.inbox_writer import group_receive
from bot.reports.decisions import approve, ask_for_changes, changes_form
from bot.reports.errors import PublishError
from handlers.teams.cards.build import CARD_CONTENT_TYPE, as_json, heading, note
from handlers.teams.cards.report import APPROVE_VERB, CHANGES_VERB

log = logging.getLogger(__name__)

SEND_CHANGES_VERB = "report_changes_send"
TEAMS_DECISION = "teams.decision"  # the inbox kind the worker decides
VERBS = frozenset({APPROVE_VERB, CHANGES_VERB, SEND_CHANGES_VERB})
LEADS_ONLY = "Sorry, only governance leads can approve the board report or send it back."


def answer_decision(ctx: AppContext, activity: dict[str, Any], verb: str,
                    data: dict[str, Any]) -> dict[str, Any]:
    sender = activity.get("from") if isinstance(activity.get("from"), dict) else {}
    aad = str(sender.get("aadObjectId") or "")
    if not aad or not is_teams_lead(ctx.engine, ctx.settings.governance_leads, aad):
        return _error(403, "Forbidden", LEADS_ONLY)
    try:
        report_id = int(data["report_id"])
    except (KeyError, TypeError, ValueError):
        return _error(400, "BadRequest", "This card names no report.")
    if verb == CHANGES_VERB:
        try:
            form = changes_form(ctx.engine, report_id)
        except PublishError as error:
            return _error(400, "BadRequest", str(error))
        return _card(changes_card(report_id, form.report.target.label,
                                  [(c.id, f"{c.number} {c.title}") for c in form.choices]))
    payload = {"verb": verb, "report_id": report_id, "by": str(sender.get("name") or aad),
               "comment": str(data.get("comment") or "").strip(),
               "deliverables": [int(d) for d in str(data.get("deliverables") or "").split(",")
                                if d.strip().isdigit()]}
    if verb == SEND_CHANGES_VERB and (not payload["comment"] or not payload["deliverables"]):
        return _error(400, "BadRequest", "Say what should change and choose at least one "
                                         "deliverable.")
    key = "teams-decision:" + hashlib.sha256(json.dumps(
        [activity.get("id"), payload], sort_keys=True).encode()).hexdigest()[:32]
    group_receive(ctx.engine, key=key, kind=TEAMS_DECISION, payload=payload)
    words = "Approving" if verb == APPROVE_VERB else "Sending back"
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
            "value": f"{words} the report… the card shows the outcome in a moment."}


def decide(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The worker's half: the decision, the summary redrawn, the thread noted."""
    report_id = int(payload["report_id"])
    try:
        if payload["verb"] == APPROVE_VERB:
            approve(ctx, report_id, by=str(payload["by"]))
        else:
            ask_for_changes(ctx, report_id, by=str(payload["by"]),
                            comment=str(payload["comment"]),
                            deliverable_ids=[int(d) for d in payload["deliverables"]])
    except PublishError as error:  # decided already, superseded, out of date: nothing to do
        log.warning("Teams decision on report %s refused: %s", report_id, error)


def changes_card(report_id: int, label: str, choices: list[tuple[int, str]]) -> AdaptiveCard:
    return AdaptiveCard(body=[
        heading(f"Send the {label} report back"),
        note("Say what should change; the SROs of the deliverables you choose are asked "
             "again with your words."),
        TextInput(id="comment", label="What should change?", is_multiline=True,
                  is_required=True, error_message="Say what should change."),
        ChoiceSetInput(id="deliverables", label="Deliverables to send back", is_multi_select=True,
                       is_required=True, error_message="Choose at least one deliverable.",
                       choices=[Choice(title=title, value=str(ident))
                                for ident, title in choices]),
    ], actions=[ExecuteAction(title="Send back", verb=SEND_CHANGES_VERB,
                              data={"report_id": report_id})])


def _card(card: AdaptiveCard) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": as_json(card)}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "type": "application/vnd.microsoft.error",
            "value": {"code": code, "message": message}}
