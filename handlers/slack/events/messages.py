"""DM messages (``message.im``): thread replies to prompts become updates.

A reply in a prompt's thread such as ``Amber – delayed by estates works`` is parsed
(``bot.collection.replies``), stored for that prompt's deliverable as the person who wrote it
(source ``thread``, keyed by the message itself: ``message:<channel>:<ts>``) and confirmed in the
thread; a reply lacking what the rules need gets a reply asking for exactly that. Messages that
are not replies to a prompt get a short help reply, except an absence such as ``away 4–15 Aug,
cover Sarah Willis`` (``bot.collection.away``), which is recorded and confirmed. Edits,
deletions and bot messages are acknowledged and ignored. Slack's retries, and the same message
delivered again under another event id, are answered once; versions are ordered by the
message's own time.

``bot.collection.submissions.submit_reply`` owns the work: the claim of the delivery and the
update in one write transaction, the follow-ups after it commits, and releasing the claim when
the answer cannot be posted (so Slack's retry answers). This module only says which message it
is and draws the answers.
"""

from __future__ import annotations

from typing import Any

from bot.collection.away import (
    away_by_message,
    extend_by_message,
    is_away_message,
    is_extend_message,
)
from bot.collection.risk_flows import submit_risk_reply
from bot.collection.submissions import DirectMessage, ReplyAnswer, submit_reply
from bot.collection.values import Draft
from bot.messaging.inbound import release
from bot.ports.messages import SendError
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.replies import (
    away_reply,
    help_reply,
    missing_reply,
    not_a_prompt_reply,
    refused_reply,
)
from handlers.slack.blocks.text import Message
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext
from handlers.slack.deferral import is_person_in_dm
from handlers.slack.message_identity import message_key, written_at


def on_message(body: dict[str, Any], event: dict[str, Any], ctx: SlackContext) -> None:
    if not is_person_in_dm(event):
        return
    key = (message_key(event["channel"], event["ts"]) if event.get("ts") else
           f"event:{body.get('event_id') or event.get('client_msg_id')}")
    message = DirectMessage(key=key, user=event["user"], channel=event["channel"],
                            ts=event.get("ts"), thread_ts=event.get("thread_ts"),
                            text=event.get("text") or "", written_at=written_at(event.get("ts")))

    if not message.in_thread and (is_away_message(message.text)
                                  or is_extend_message(message.text)):
        command = extend_by_message if is_extend_message(message.text) else away_by_message
        away = command(ctx, user=message.user, text=message.text, key=message.key)
        if away is not None:  # None: a retry of a message already answered
            reply = away_reply(away.ok, away.text)
            ctx.gateway.post_message(message.channel, reply.text, reply.blocks)
        return

    if message.thread_ts and _risk_reply(ctx, message):
        return

    def answer(said: ReplyAnswer) -> None:
        reply = _reply(said)
        ctx.gateway.post_message(message.channel, reply.text, reply.blocks,
                                 thread_ts=said.thread_ts)

    submit_reply(ctx, message, answer)


def _risk_reply(ctx: SlackContext, message: DirectMessage) -> bool:
    """A reply in a BAF risk prompt's thread is a risk return (``no change``, ``4x3 why…``);
    False when the thread is not a risk prompt's. An answer that cannot be posted releases the
    claim, so Slack's retry answers."""
    said = submit_risk_reply(ctx, key=message.key, user=message.user, channel=message.channel,
                             thread_ts=message.thread_ts or "", text=message.text)
    if said is None:
        return False
    if said.text:
        try:
            ctx.gateway.post_message(message.channel, said.text,
                                     [mrkdwn.section(esc(said.text))],
                                     thread_ts=message.thread_ts)
        except SendError:
            release(ctx.engine, message.key)
            raise
    return True


def _reply(said: ReplyAnswer) -> Message:
    if said.kind == "help":
        return help_reply()
    if said.kind == "not_a_prompt":
        return not_a_prompt_reply()
    if said.kind == "missing" and said.target is not None:
        return missing_reply(said.errors, said.draft or Draft(), said.target,
                             prompt_ts=said.thread_ts)
    return refused_reply(said.reason)
