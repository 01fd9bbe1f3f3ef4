"""Rendering outbox rows as Slack messages, and the messages that follow a submission.

``make_outbox_sender(ctx)`` is the ``send`` that ``bot.messaging.outbox.deliver_pending`` (and the
scheduler's jobs) call for each recorded row. It renders the row by its ``kind`` through a small
registry — ``prompt``, ``reminder``, ``escalation`` and ``notice`` are built in; another module
adds its own with ``register_renderer(kind, fn)`` — and posts the result through the gateway.
A renderer returns one or more ``Outgoing`` messages (a long reminder or escalation is split to
respect Slack's 50 blocks); the first one's channel and ts are what the outbox remembers (a DM
prompt's ``D…`` channel and ts is how thread replies find their deliverable).

Slack errors that retrying cannot fix (unknown user, archived channel, invalid blocks) become
``bot.messaging.outbox.PermanentSendError`` so the row is marked failed and reported to the governance
leads; anything else leaves the row pending for the next run.

DMs are posted to the user id itself: Slack opens the app's DM, no ``conversations.open``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.updates import SubmitResult, entry_context, previous_period_update
from bot.context import AppContext
from bot.framework.people import person_for_slack_id
from bot.messaging.outbox import PermanentSendError, Sender, SentRef, sent_prompts
from handlers.slack.blocks.ids import Target
from handlers.slack.blocks.prompt import (
    Notice,
    OutstandingItem,
    OutstandingTheme,
    PromptCard,
    Received,
    ReminderItem,
    escalation_messages,
    notice_messages,
    prompt_message,
    reminder_messages,
)
from handlers.slack.blocks.replies import co_owner_reply, received_reply
from handlers.slack.blocks.text import Message
from handlers.slack.gateway import PermanentSendError as SlackPermanentError
from handlers.slack.gateway import SlackSendError
from storage.db import session_scope
from storage.models import OutboxMessage, Rag, Update

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


Renderer = Callable[[AppContext, OutboxMessage], list[Outgoing]]

_renderers: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Render outbox rows of ``kind`` with ``renderer(ctx, row) -> [Outgoing, ...]``."""
    _renderers[kind] = renderer


def make_outbox_sender(ctx: AppContext) -> Sender:
    """The ``send`` for ``bot.messaging.outbox.deliver_pending``: render the row, post it, return where."""

    def send(message: OutboxMessage) -> SentRef:
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


def already_posted(ctx: AppContext, item: Outgoing, tag: str, *, since: datetime
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


def governance_recipients(ctx: AppContext) -> list[str]:
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


# ------------------------------------------------------------------------------ prompt cards

def prompt_card(session: Session, prompt: OutboxMessage) -> PromptCard:
    """The prompt message's content now: the recorded payload plus what has been received."""
    payload = prompt.payload
    facts = _card_facts(session, int(payload["deliverable_id"]), Period.parse(payload["period"]))
    return _card(payload, facts)


@dataclass(frozen=True)
class _CardFacts:
    """What every prompt card of one deliverable shows from storage (read once for all)."""

    target: Target
    previous: Update | None
    received: Received | None
    frozen: bool


def _card_facts(session: Session, deliverable_id: int, period: Period) -> _CardFacts:
    entry = entry_context(session, deliverable_id, period)
    previous = previous_period_update(session, deliverable_id, period)
    received = None
    latest = entry.latest if entry else None
    if latest is not None:
        by = person_for_slack_id(session, latest.submitted_by_slack_id or "")
        received = Received(
            rag=Rag(latest.rag), narrative=latest.narrative, version=latest.version,
            by=by.name if by else "", at=latest.submitted_at,
            recovery_action=latest.recovery_action, recovery_date=latest.recovery_date,
            change_reason=latest.change_reason,
        )
    return _CardFacts(target=Target(deliverable_id, period), previous=previous,
                      received=received, frozen=bool(entry and entry.frozen))


def _card(payload: dict[str, Any], facts: _CardFacts) -> PromptCard:
    previous = facts.previous
    return PromptCard(
        target=facts.target,
        number=str(payload.get("number") or ""), area=str(payload.get("area") or ""),
        title=str(payload.get("title") or ""), theme=str(payload.get("theme") or ""),
        deadline=_day(payload.get("deadline")),
        joint_sros=tuple(payload.get("joint_sros") or ()),
        previous_rag=Rag(previous.rag) if previous else None,
        previous_narrative=previous.narrative if previous else None,
        received=facts.received, frozen=facts.frozen,
    )


# ------------------------------------------------------------------------------ renderers

def render_prompt(ctx: AppContext, message: OutboxMessage) -> list[Outgoing]:
    with session_scope(ctx.engine) as session:
        card = prompt_card(session, message)
    return [Outgoing.of(message.payload["to"], prompt_message(card, ctx.settings.tz))]


def render_reminder(ctx: AppContext, message: OutboxMessage) -> list[Outgoing]:
    payload = message.payload
    period = Period.parse(payload["period"])
    items = [ReminderItem(target=Target(int(item["id"]), period),
                          number=str(item.get("number") or ""), title=str(item["title"]),
                          area=str(item.get("area") or ""), theme=str(item.get("theme") or ""))
             for item in payload["deliverables"]]
    messages = reminder_messages(period.label, payload.get("deadline"), items,
                                 final=payload.get("stage") == "deadline-day")
    return [Outgoing.of(payload["to"], item) for item in messages]


def render_escalation(ctx: AppContext, message: OutboxMessage) -> list[Outgoing]:
    payload = message.payload
    themes = [OutstandingTheme(
        theme=str(group["theme"]),
        items=tuple(OutstandingItem(
            number=str(item.get("number") or ""), title=str(item["title"]),
            area=str(item.get("area") or ""),
            sros=tuple(str(sro.get("name") or "") for sro in item.get("sros") or ()),
        ) for item in group["outstanding"]),
    ) for group in payload["themes"]]
    messages = escalation_messages(
        str(payload["period"]), payload.get("deadline"), total=int(payload["total"]),
        answered=int(payload["answered"]), themes=themes)
    return [Outgoing.of(to, item) for to in _to_or_governance(ctx, payload) for item in messages]


def render_notice(ctx: AppContext, message: OutboxMessage) -> list[Outgoing]:
    """``payload``: ``title``, optional ``intro``, ``lines`` (plain text), ``footer``, ``to``."""
    payload = message.payload
    notice = Notice(title=str(payload["title"]), intro=str(payload.get("intro") or ""),
                    lines=tuple(str(line) for line in payload.get("lines") or ()),
                    footer=str(payload.get("footer") or ""))
    messages = notice_messages(notice)
    return [Outgoing.of(to, item) for to in _to_or_governance(ctx, payload) for item in messages]


def _to_or_governance(ctx: AppContext, payload: dict[str, Any]) -> list[str]:
    to = payload.get("to")
    if isinstance(to, str) and to:
        return [to]
    if isinstance(to, list) and to:
        return [str(item) for item in to]
    return governance_recipients(ctx)


register_renderer("prompt", render_prompt)
register_renderer("reminder", render_reminder)
register_renderer("escalation", render_escalation)
register_renderer("notice", render_notice)


# ------------------------------------------------------------------------------ after a submission

@dataclass(frozen=True)
class Stored:
    """A newly stored update, as plain values taken in the submitting transaction (no queries:
    the transaction does only the write, and what follows it is gathered after it commits)."""

    period: Period
    actor: str
    deliverable_id: int
    number: str
    title: str
    rag: Rag
    narrative: str
    version: int
    co_owners: tuple[str, ...]

    @classmethod
    def of(cls, result: SubmitResult, period: Period, actor: str) -> Stored:
        update = result.update
        return cls(period=period, actor=actor, deliverable_id=result.deliverable.id or 0,
                   number=result.deliverable.number, title=result.deliverable.title,
                   rag=Rag(update.rag), narrative=update.narrative, version=update.version,
                   co_owners=result.co_owners_slack_ids)


@dataclass(frozen=True)
class Submitted:
    """What the messages after a submission need: the stored update, who made it and every
    sent prompt of the deliverable with its card as it is now."""

    period: Period
    actor: str
    actor_name: str
    number: str
    title: str
    rag: Rag
    narrative: str
    version: int
    co_owners: tuple[str, ...]
    prompts: tuple[tuple[str, str, str, PromptCard], ...]  # (to, channel, ts, card)

    def prompt_of(self, user: str) -> tuple[str, str] | None:
        for to, channel, ts, _card in self.prompts:
            if to == user:
                return channel, ts
        return None


def submitted(ctx: AppContext, stored: Stored) -> Submitted:
    """Gather, in a read-only unit of work after the update is committed, everything the
    follow-up messages show: the actor's name and a fresh card for each prompt."""
    with session_scope(ctx.engine) as session:
        person = person_for_slack_id(session, stored.actor)
        sent = [prompt for prompt in sent_prompts(session, stored.deliverable_id, stored.period)
                if prompt.channel and prompt.ts]
        prompts: tuple[tuple[str, str, str, PromptCard], ...] = ()
        if sent:  # the same facts on every card of the deliverable: read once
            facts = _card_facts(session, stored.deliverable_id, stored.period)
            prompts = tuple(
                (str(prompt.payload.get("to") or ""), prompt.channel or "", prompt.ts or "",
                 _card(prompt.payload, facts))
                for prompt in sent
            )
    return Submitted(
        period=stored.period, actor=stored.actor, actor_name=person.name if person else "",
        number=stored.number, title=stored.title, rag=stored.rag, narrative=stored.narrative,
        version=stored.version, co_owners=stored.co_owners, prompts=prompts,
    )


def confirm_to_actor(ctx: AppContext, done: Submitted, *, where: tuple[str, str] | None) -> None:
    """The confirmation, in ``where`` (channel, thread) or the actor's prompt thread, else a DM.
    Raises ``SlackSendError`` when Slack refuses it."""
    message = received_reply(rag=done.rag, narrative=done.narrative, version=done.version,
                             period_label=done.period.label, number=done.number,
                             title=done.title)
    target = where or done.prompt_of(done.actor)
    if target is not None:
        ctx.gateway.post_message(target[0], message.text, message.blocks, thread_ts=target[1])
    else:
        ctx.gateway.post_message(done.actor, message.text, message.blocks)


def refresh_and_tell_others(ctx: AppContext, done: Submitted) -> None:
    """Show the new version on every prompt of the deliverable (each joint SRO has one) and tell
    the other SROs and delegates. Best effort: a failure is logged, the update is stored."""
    for _to, channel, ts, card in done.prompts:
        message = prompt_message(card, ctx.settings.tz)
        _quietly("chat.update", lambda c=channel, t=ts, m=message: ctx.gateway.update_message(
            c, t, m.text, m.blocks))
    notice = co_owner_reply(by=done.actor_name, rag=done.rag, narrative=done.narrative,
                            version=done.version, period_label=done.period.label,
                            number=done.number, title=done.title)
    for user in done.co_owners:
        thread = done.prompt_of(user)
        channel, ts = thread if thread else (user, None)
        _quietly("co-owner notice", lambda c=channel, t=ts: ctx.gateway.post_message(
            c, notice.text, notice.blocks, thread_ts=t))


def _quietly(what: str, call: Callable[[], object]) -> None:
    try:
        call()
    except SlackSendError as error:
        log.warning("%s failed: %s", what, error)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class SlackMessenger:
    """The ``Messenger`` port on Slack: outbox rows rendered by kind and posted."""

    def __init__(self, ctx: AppContext) -> None:
        self.send = make_outbox_sender(ctx)


class SlackFollowUps:
    """The ``FollowUps`` port on Slack: confirmation, refreshed prompt cards, co-owners told."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        confirm_to_actor(self.ctx, done, where=where)
        refresh_and_tell_others(self.ctx, done)
