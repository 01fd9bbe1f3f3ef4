"""The ``Messenger`` port on Slack: outbox rows rendered by their ``kind`` and posted.

``make_outbox_sender(ctx)`` is the ``send`` that ``bot.messaging.outbox.deliver_pending`` calls
for each recorded row (``SlackMessenger.send``, so every ``bot`` flow and the scheduler's
``deliver_outbox`` job reach it through ``ctx.channels.messenger``). It renders the row by its
``kind`` through a small registry — ``prompt``, ``reminder``, ``escalation`` and ``notice`` are
built in; another module adds its own with ``register_renderer(kind, fn)`` — and posts the result
through the gateway. A renderer returns one or more ``Outgoing`` messages (a long reminder or
escalation is split to respect Slack's 50 blocks); the first one's channel and ts are what the
outbox remembers (a DM prompt's ``D…`` channel and ts is how thread replies find their
deliverable). A prompt card's facts are read by ``bot.collection.cards``; only drawing it is here.

Slack errors that retrying cannot fix (unknown user, archived channel, invalid blocks) become
``bot.ports.messages.PermanentSendError`` so the row is marked failed and reported to the
governance leads; anything else leaves the row pending for the next run.

DMs are posted to the user id itself: Slack opens the app's DM, no ``conversations.open``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.calendar.periods import Period
from bot.collection.away_signal import AWAY_QUESTION
from bot.collection.cards import prompt_card
from bot.collection.followups import CHANGES_REQUESTED, FOLLOW_UP
from bot.collection.status import OutstandingItem, OutstandingTheme, away_label
from bot.collection.values import Target
from bot.messaging.outbox import Sender
from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef
from handlers.slack.blocks.away import status_question
from handlers.slack.blocks.prompt import (
    Notice,
    ReminderItem,
    escalation_messages,
    notice_messages,
    prompt_message,
    reminder_messages,
)
from handlers.slack.blocks.reprompt import render_reprompt
from handlers.slack.blocks.text import Message
from handlers.slack.context import SlackContext
from handlers.slack.followups import send_follow_up
from handlers.slack.gateway import PermanentSendError as SlackPermanentError
from handlers.slack.gateway import SlackSendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message to post: to a channel or user id (a user id posts to the app's DM)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None

    @classmethod
    def of(cls, channel: str, message: Message, thread_ts: str | None = None) -> Outgoing:
        return cls(channel, message.text, message.blocks, thread_ts)


Renderer = Callable[[SlackContext, RecordedMessage], list[Outgoing]]

_renderers: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Render outbox rows of ``kind`` with ``renderer(ctx, row) -> [Outgoing, ...]``."""
    _renderers[kind] = renderer


def make_outbox_sender(ctx: SlackContext) -> Sender:
    """The ``send`` for ``bot.messaging.outbox.deliver_pending``: render, post, say where."""

    def send(message: RecordedMessage) -> SentRef:
        if message.kind == FOLLOW_UP:  # several messages and card refreshes, not one post
            return send_follow_up(ctx, message)
        renderer = _renderers.get(message.kind)
        if renderer is None:
            raise PermanentSendError(f"no renderer for outbox messages of kind '{message.kind}'")
        try:
            outgoing = renderer(ctx, message)
        except PermanentSendError:
            raise
        except SlackPermanentError as error:  # e.g. looking up a governance lead's email
            raise PermanentSendError(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:  # a payload we cannot render
            raise PermanentSendError(
                f"cannot render {message.kind} {message.key}: {type(error).__name__}: {error}"
            ) from error
        if not outgoing:
            raise PermanentSendError(f"{message.kind} {message.key} rendered no message")
        first: SentRef | None = None
        for part, item in enumerate(outgoing):
            tag = delivery_tag(message.key, part)
            blocks = tagged(item.blocks, tag)
            # A second attempt may follow one Slack accepted but we never heard back from (a
            # kill, a timeout): look before posting again.
            found = (already_posted(ctx, item, tag, since=message.created_at)
                     if message.attempts > 1 else None)
            if found is None:
                try:
                    posted = ctx.gateway.post_message(item.channel, item.text, blocks,
                                                      thread_ts=item.thread_ts)
                except SlackPermanentError as error:
                    raise PermanentSendError(f"{error} (to {item.channel})") from error
                found = SentRef(posted.channel, posted.ts)
            first = first or found
        assert first is not None
        return first

    return send


# ------------------------------------------------------------------------------ exactly once

DELIVERY_TAG = "ragtime-outbox-"


def delivery_tag(key: str, part: int) -> str:
    """A block_id naming the outbox row (and part) a posted message came from."""
    return DELIVERY_TAG + hashlib.sha256(f"{key}#{part}".encode()).hexdigest()[:32]


def tagged(blocks: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    """``blocks`` with ``tag`` as the block_id of the first block that has none (Slack returns
    block ids in a channel's history with no extra scope, unlike message metadata)."""
    result = [dict(block) for block in blocks]
    for block in result:
        if not block.get("block_id"):
            block["block_id"] = tag
            break
    return result


def already_posted(ctx: SlackContext, item: Outgoing, tag: str, *, since: datetime
                   ) -> SentRef | None:
    """The message an earlier attempt posted, found by its tag in the channel's history.

    Only top-level messages are looked for (thread replies are not in a channel's history);
    where history cannot be read (no scope for a channel) the message is posted again."""
    if item.thread_ts:
        return None
    try:
        channel = (ctx.gateway.open_dm(item.channel) if item.channel.startswith(("U", "W"))
                   else item.channel)
        messages = ctx.gateway.history(channel, oldest=since.timestamp() - 60)
    except SlackSendError as error:
        log.info("cannot check %s for an earlier delivery (%s); posting", item.channel,
                 error.error)
        return None
    for posted in messages:
        if any(block.get("block_id") == tag for block in posted.get("blocks") or []):
            log.info("outbox: an earlier attempt was delivered (%s); not posting again", tag)
            return SentRef(channel, posted["ts"])
    return None


def governance_recipients(ctx: SlackContext) -> list[str]:
    """Where messages for the governance team go: ``RAGTIME_GOVERNANCE_CHANNEL``, else a DM to
    each lead in ``RAGTIME_GOVERNANCE_LEADS`` (emails are looked up)."""
    if ctx.settings.governance_channel:
        return [ctx.settings.governance_channel]
    recipients: list[str] = []
    for lead in sorted(ctx.settings.governance_leads):
        user = ctx.gateway.lookup_user_by_email(lead) if "@" in lead else lead
        if user and user not in recipients:
            recipients.append(user)
    if not recipients:
        raise PermanentSendError(
            "neither RAGTIME_GOVERNANCE_CHANNEL nor RAGTIME_GOVERNANCE_LEADS names anyone "
            "in Slack to tell")
    return recipients


# ------------------------------------------------------------------------------ renderers

def render_prompt(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    card = prompt_card(ctx, message)
    return [Outgoing.of(message.payload["to"], prompt_message(card, ctx.settings.tz))]


def render_reminder(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    payload = message.payload
    period = Period.parse(payload["period"])
    items = [ReminderItem(target=Target(int(item["id"]), period),
                          number=str(item.get("number") or ""), title=str(item["title"]),
                          area=str(item.get("area") or ""), theme=str(item.get("theme") or ""))
             for item in payload["deliverables"]]
    messages = reminder_messages(period.label, payload.get("deadline"), items,
                                 final=str(payload.get("stage") or "").startswith("deadline-day"),
                                 on_behalf_of=payload.get("on_behalf_of") or None)
    return [Outgoing.of(payload["to"], item) for item in messages]


def render_escalation(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    payload = message.payload
    themes = [OutstandingTheme(
        theme=str(group["theme"]),
        items=tuple(_outstanding_item(item) for item in group["outstanding"]),
    ) for group in payload["themes"]]
    messages = escalation_messages(
        str(payload["period"]), payload.get("deadline"), total=int(payload["total"]),
        answered=int(payload["answered"]), themes=themes,
        away=tuple(_outstanding_item(item) for item in payload.get("away") or ()),
        extended=tuple((_outstanding_item(item), str(item.get("until") or ""))
                       for item in payload.get("extended") or ()),
        risks=[(str(r["number"]), str(r["title"]), "; ".join(r.get("owners") or ()))
               for r in payload.get("risks") or ()])
    return [Outgoing.of(to, item) for to in _to_or_governance(ctx, payload) for item in messages]


def _outstanding_item(item: dict[str, Any]) -> OutstandingItem:
    """An escalation's deliverable; an SRO away is named with their return and cover."""
    return OutstandingItem(
        number=str(item.get("number") or ""), title=str(item["title"]),
        area=str(item.get("area") or ""),
        sros=tuple(away_label(str(sro.get("name") or ""), sro.get("away_until"),
                              sro.get("cover"))
                   for sro in item.get("sros") or ()),
    )


def render_notice(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    """``payload``: ``title``, optional ``intro``, ``lines`` (plain text), ``footer``, ``to``."""
    payload = message.payload
    notice = Notice(title=str(payload["title"]), intro=str(payload.get("intro") or ""),
                    lines=tuple(str(line) for line in payload.get("lines") or ()),
                    footer=str(payload.get("footer") or ""))
    messages = notice_messages(notice)
    return [Outgoing.of(to, item) for to in _to_or_governance(ctx, payload) for item in messages]


def _to_or_governance(ctx: SlackContext, payload: dict[str, Any]) -> list[str]:
    to = payload.get("to")
    if isinstance(to, str) and to:
        return [to]
    if isinstance(to, list) and to:
        return [str(item) for item in to]
    return governance_recipients(ctx)


def render_away_question(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    return [Outgoing.of(message.payload["to"], status_question(message.payload))]


register_renderer(AWAY_QUESTION, render_away_question)
register_renderer("prompt", render_prompt)
register_renderer("reminder", render_reminder)
register_renderer("escalation", render_escalation)
def render_changes_requested(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    """A lead asked an SRO to revise their update (``bot.reports.decisions``)."""
    text, blocks = render_reprompt(message.payload)
    return [Outgoing(str(message.payload["to"]), text, blocks)]


register_renderer("notice", render_notice)
register_renderer(CHANGES_REQUESTED, render_changes_requested)


class SlackMessenger:
    """The ``Messenger`` port on Slack: outbox rows rendered by kind and posted."""

    def __init__(self, ctx: SlackContext) -> None:
        self.send = make_outbox_sender(ctx)
