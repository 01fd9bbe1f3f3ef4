"""DM messages (``message.im``): thread replies to prompts become updates.

A reply in a prompt's thread such as ``Amber – delayed by estates works`` is parsed
(``bot.collection.replies``), stored for that prompt's deliverable as the person who wrote it
(``submit_update``, source ``thread``, idempotency key ``event:<event_id>``) and confirmed in the
thread; a reply lacking what the rules need gets a reply asking for exactly that. Messages that
are not replies to a prompt get a short help reply. Edits, deletions and bot messages are
acknowledged and ignored. Slack's retries (same ``event_id``) are answered once: see
``bot.messaging.inbound``.

The write transaction does only the claim and the update (SQLite serialises writers, so every
other submission waits for it); the confirmation, the refreshed prompt cards and the co-owners'
notices are read and sent after it commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.calendar.periods import Period, PeriodError
from bot.collection.replies import ParsedReply, parse_reply
from bot.collection.updates import RuleViolation, UpdateError, submit_update
from bot.context import AppContext
from bot.messaging.inbound import claim, release
from bot.messaging.outbox import find_prompt
from handlers.slack.blocks.ids import Draft, Target
from handlers.slack.blocks.replies import (
    help_reply,
    missing_reply,
    not_a_prompt_reply,
    refused_reply,
)
from handlers.slack.blocks.text import Message
from handlers.slack.gateway import SlackSendError
from handlers.slack.outbound import Stored, confirm_to_actor, refresh_and_tell_others, submitted
from handlers.slack.rounds_ops import local_today
from storage.db import session_scope
from storage.models import Source

log = logging.getLogger(__name__)

# Subtypes that are still a person writing to us; every other subtype (message_changed,
# message_deleted, bot_message, channel_join, ...) is acknowledged and ignored.
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


@dataclass(frozen=True)
class Outcome:
    reply: Message | None  # what to say (None: the confirmation of ``stored``)
    thread_ts: str | None
    stored: Stored | None = None


def on_message(body: dict[str, Any], event: dict[str, Any], ctx: AppContext) -> None:
    if not _from_a_person_in_a_dm(event):
        return
    key = f"event:{body.get('event_id') or event.get('client_msg_id') or event.get('ts')}"
    thread_ts = event.get("thread_ts")
    in_thread = bool(thread_ts) and thread_ts != event.get("ts")
    # Read and parsed before the write transaction, so it holds the write lock only to write.
    target = _thread_target(ctx, event["channel"], thread_ts) if in_thread else None
    parsed = parse_reply(event.get("text") or "") if target is not None else None
    with session_scope(ctx.engine, write=True) as session:
        if not claim(session, key):
            log.info("%s already handled; Slack retry %s ignored", key, event.get("ts"))
            return
        if not in_thread:
            outcome = Outcome(help_reply(), None)
        elif target is None or parsed is None:
            outcome = Outcome(not_a_prompt_reply(), thread_ts)
        else:
            outcome = _store_reply(session, ctx, event, target, parsed, thread_ts, key)
    channel = event["channel"]
    done = None
    try:
        if outcome.stored is not None:  # committed: the follow-ups are read outside the write
            done = submitted(ctx, outcome.stored)
            confirm_to_actor(ctx, done, where=(channel, outcome.thread_ts or ""))
        elif outcome.reply is not None:
            ctx.gateway.post_message(channel, outcome.reply.text, outcome.reply.blocks,
                                     thread_ts=outcome.thread_ts)
    except (SlackSendError, SQLAlchemyError):
        release(ctx.engine, key)  # so Slack's retry replies (and stores nothing twice)
        raise
    if done is not None:
        refresh_and_tell_others(ctx, done)


def _from_a_person_in_a_dm(event: dict[str, Any]) -> bool:
    return (event.get("channel_type") == "im" and event.get("subtype") in PERSON_SUBTYPES
            and not event.get("bot_id") and bool(event.get("user")) and bool(event.get("channel")))


def _thread_target(ctx: AppContext, channel: str, thread_ts: str) -> Target | None:
    """The deliverable and period of the prompt (or re-prompt) whose thread this is."""
    with session_scope(ctx.engine) as session:
        prompt = find_prompt(session, channel, thread_ts)
        period = _period_of(prompt.payload) if prompt is not None else None
        if prompt is None or prompt.deliverable_id is None or period is None:
            return None
        return Target(prompt.deliverable_id, period)


def _store_reply(
    session: Session, ctx: AppContext, event: dict[str, Any], target: Target,
    parsed: ParsedReply, thread_ts: str, key: str,
) -> Outcome:
    period = target.period
    try:
        result = submit_update(
            session, actor_slack_id=event["user"], deliverable_id=target.deliverable_id,
            period=period, rag=parsed.rag or "", narrative=parsed.narrative,
            recovery_action=parsed.recovery_action,
            recovery_date=parsed.recovery_date_text or parsed.recovery_date,
            change_reason=parsed.change_reason, source=Source.thread, idempotency_key=key,
            today=local_today(ctx), now=ctx.now(),
        )
    except RuleViolation as violation:
        draft = Draft(rag=parsed.rag, narrative=parsed.narrative,
                      recovery_action=parsed.recovery_action,
                      recovery_date=parsed.recovery_date, change_reason=parsed.change_reason)
        return Outcome(missing_reply(violation.errors, draft, target, prompt_ts=thread_ts),
                       thread_ts)
    except UpdateError as refusal:  # not an owner, frozen, retired deliverable
        return Outcome(refused_reply(str(refusal)), thread_ts)
    return Outcome(None, thread_ts, Stored.of(result, period, event["user"]))


def _period_of(payload: dict[str, Any]) -> Period | None:
    try:
        return Period.parse(str(payload.get("period") or ""))
    except PeriodError:
        return None
