"""Outcome requests on Slack: the closure round's DM asking what became of a deliverable,
drawn when it is sent (so it shows the SRO's last update as it stands then)."""

from __future__ import annotations

from bot.collection.outcomes import facts_of
from bot.ports.messages import PermanentSendError, RecordedMessage
from handlers.slack.blocks.outcome import RequestFacts, request_message
from handlers.slack.context import SlackContext
from handlers.slack.outbox import Outgoing


def render_outcome_request(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    payload = message.payload
    facts = facts_of(ctx.engine, int(payload["deliverable_id"]))
    if facts is None:
        raise PermanentSendError(f"{message.key}: the deliverable no longer exists")
    request = RequestFacts(framework=str(payload["framework"]),
                           final_year=str(payload["final_year"]), facts=facts)
    return [Outgoing.of(str(payload["to"]), request_message(request))]
