"""The absence form submitted: dates checked at once (shown beside the field), the rest left to
the worker (``record_away_form``), which records it through ``bot.collection.away`` and tells
the person by DM what was recorded or why not. Nothing on this request's path calls the Web API.
The acting user is the signed payload's ``user.id``; the form only names the others.
"""

from __future__ import annotations

from typing import Any

from bot.collection.away import away_by_form
from handlers.slack.blocks.away import read_away_form
from handlers.slack.blocks.replies import away_reply
from handlers.slack.context import SlackContext
from handlers.slack.deferral import defer
from handlers.slack.guards import acting_user

AWAY_FORM = "slack.away_form"


def submit_away_form(ack: Any, body: dict[str, Any], view: dict[str, Any],
                     ctx: SlackContext) -> None:
    form = read_away_form(((view.get("state") or {}).get("values")) or {})
    errors = {}
    if form.starts is None:
        errors["starts"] = "Choose the first day away."
    if form.ends is None:
        errors["ends"] = "Choose the last day away."
    elif form.starts is not None and form.ends < form.starts:
        errors["ends"] = "The last day is before the first."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    defer(ctx, key=f"slack:away:{view.get('id')}:{view.get('hash')}", kind=AWAY_FORM, payload={
        "actor": acting_user(body), "person": form.person, "cover": form.cover,
        "starts": form.starts.isoformat() if form.starts else None,
        "ends": form.ends.isoformat() if form.ends else None, "note": form.note,
        "key": f"slack:away:{view.get('id')}:{view.get('hash')}"})
    ack()


def record_away_form(ctx: SlackContext, payload: dict[str, Any]) -> None:
    """In the worker: record it and tell the person."""
    actor = str(payload["actor"])
    said = away_by_form(ctx, user=actor, person_slack_id=payload.get("person"),
                        cover_slack_id=payload.get("cover"), starts=payload["starts"],
                        ends=payload["ends"], note=str(payload.get("note") or ""),
                        key=str(payload["key"]))
    if said is not None:
        reply = away_reply(said.ok, said.text)
        ctx.gateway.post_message(actor, reply.text, reply.blocks)
