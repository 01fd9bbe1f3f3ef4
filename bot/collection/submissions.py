"""An SRO's update arriving from a channel: the form opened, a form submitted, a thread reply.

Each entry point makes one call here and renders what it gets back; these functions own the
units of work and keep the ordering guarantees the channel relies on:

- ``update_form_for(ctx, actor, target, draft)``: whether ``actor`` may see the form for
  ``target``, and what it shows (a read-only unit of work);
- ``form_errors(ctx, target, entered, checks)``: the rules checked as a form is submitted,
  before it is acknowledged, with no read when the form carries its ``FormChecks`` (Slack's
  modal is then acknowledged once its request is in the inbox, and the worker stores it);
- ``submit_from_form(ctx, ...)``: store the update and, in the same transaction, record its
  follow-up (outbox kind ``follow_up``); the caller acknowledges the form once this returns and
  the worker's outbox delivery calls ``after_form`` for the confirmation, the refreshed prompt
  cards and the co-owners' notices (``ctx.channels.follow_ups``), so none is lost on a crash;
- ``submit_reply(ctx, message, answer)``: a DM message. The message is claimed
  (``bot.messaging.inbound``, by the message's own identity, so the same message delivered
  twice under different event ids is one) and the update stored in one write transaction, so a
  second delivery is answered once; when the answer (``answer`` for a help, a refusal or what is
  missing; the follow-ups for a stored update) cannot be delivered, the claim is released so the
  channel's retry answers (the update is found by its idempotency key, not stored twice). Its
  version is placed by when the person wrote it, so a late delivery never replaces a newer one.

The acting user always comes from the signed payload; the target only names a deliverable and a
period and is re-checked inside ``submit_update``: the actor may submit for it
(``bot.framework.permissions.may_submit``) and the period's round accepts updates
(``bot.collection.updates.accepting_round``: a form whose metadata names another period, a year
ago or next quarter, is refused and stores nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.calendar.periods import Period, PeriodError
from bot.collection.cards import carried_facts
from bot.collection.confirmations import record_confirmation
from bot.collection.followups import FOLLOW_UP, stored_update, submitted
from bot.collection.replies import ParsedReply, parse_reply
from bot.collection.rounds import find_round
from bot.collection.rules import Rules, check_update
from bot.collection.storable import storable
from bot.collection.updates import (
    RuleViolation,
    UpdateError,
    entry_context,
    previous_period_update,
    submit_update,
)
from bot.collection.values import Draft, Rag, Source, Target
from bot.framework.permissions import may_submit
from bot.messaging.inbound import claim, release
from bot.messaging.outbox import find_prompt, record_message
from bot.ports.messages import SendError
from bot.ports.updates import Carried, Stored
from storage.db import session_scope
from storage.models import Deliverable, Person, Theme

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ the form

@dataclass(frozen=True)
class FormFacts:
    """What the update form shows for one deliverable."""

    number: str
    title: str
    area: str
    theme: str
    deadline: date | None
    rules: Rules
    today: date
    previous_rag: Rag | None = None
    previous_narrative: str | None = None
    current_version: int | None = None  # the highest version this period so far, if any
    initial: Draft = field(default_factory=Draft)
    # Who saved the current version and when (a joint SRO or delegate sees the other's answer).
    current_by: str | None = None
    current_at: datetime | None = None
    # Carried on from an earlier framework with no update of its own last quarter: its last
    # update there, shown instead of "last quarter" (as on its prompt).
    carried: Carried | None = None


@dataclass(frozen=True)
class FormOffer:
    """The form's facts, or why it is refused: ``not_yours`` (not an SRO or delegate),
    ``gone`` (no longer in the framework), ``frozen`` (the period is closed for changes),
    ``no_round`` (no round is open for the period; ``reason`` says so)."""

    facts: FormFacts | None = None
    refused: Literal["not_yours", "gone", "frozen", "no_round"] | None = None
    reason: str = ""


def update_form_for(
    ctx: AppContext, actor: str | None, target: Target, draft: Draft | None = None, *,
    person_id: int | None = None,
) -> FormOffer:
    """May ``actor`` (a Slack user; or the person ``person_id``, from a web form link) update
    ``target``, and what the form shows: the latest version (or the ``draft`` a thread reply
    carried) to pre-fill it, last quarter's update, the rules."""
    with session_scope(ctx.engine) as session:
        return form_offer(session, ctx, actor, target, draft, person_id=person_id)


def form_offer(
    session: Session, ctx: AppContext, actor: str | None, target: Target,
    draft: Draft | None = None, *, person_id: int | None = None,
) -> FormOffer:
    """``update_form_for`` inside the caller's unit of work (a page of several forms)."""
    if not may_submit(session, slack_id=actor, person_id=person_id,
                      deliverable_id=target.deliverable_id, on=ctx.today()):
        log.warning("%s may not update deliverable %s: form refused", actor,
                    target.deliverable_id)
        return FormOffer(refused="not_yours")
    entry = entry_context(session, target.deliverable_id, target.period)
    if entry is None or not entry.deliverable.active:
        return FormOffer(refused="gone")
    if entry.frozen:
        return FormOffer(refused="frozen")
    if entry.closed:
        return FormOffer(refused="no_round", reason=entry.closed)
    previous = previous_period_update(session, target.deliverable_id, target.period)
    round_ = find_round(session, target.period, framework_id=entry.deliverable.framework_id)
    latest = entry.latest
    initial = draft or (Draft(
        rag=Rag(latest.rag), narrative=latest.narrative,
        recovery_action=latest.recovery_action, recovery_date=latest.recovery_date,
        change_reason=latest.change_reason) if latest else Draft())
    deliverable = entry.deliverable
    theme = session.get(Theme, deliverable.theme_id)
    author = session.get(Person, latest.submitted_by_id) if latest and latest.submitted_by_id \
        else None
    return FormOffer(facts=FormFacts(
        number=deliverable.code or deliverable.number, title=deliverable.title,
        area=deliverable.area, theme=theme.name if theme else "",
        deadline=round_.deadline if round_ else None, rules=entry.rules,
        today=ctx.today(), previous_rag=entry.previous_rag,
        previous_narrative=previous.narrative if previous else None,
        current_version=entry.last_version or None, initial=initial,
        current_by=author.name if author else None,
        current_at=latest.submitted_at if latest else None,
        carried=carried_facts(session, target.deliverable_id, previous),
    ))


@dataclass(frozen=True)
class FormValues:
    """What the person entered, as plain values (``None`` for an empty field)."""

    rag: str | None
    narrative: str
    recovery_action: str | None
    recovery_date: str | None
    change_reason: str | None


def errors_by_field(errors: Mapping[str, str], fields: Collection[str]) -> dict[str, str]:
    """Rule messages placed on a form's ``fields``: a message for a field the form lacks goes
    beside the rating, and two messages for one field are joined (the modal and the web form)."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        where = name if name in fields else "rag"
        shown[where] = f"{shown[where]} {message}" if where in shown else message
    return shown


@dataclass(frozen=True)
class FormChecks:
    """What a form's rules depended on when it was filled: the framework's rules and last
    quarter's rating. A form carrying them is checked before it is acknowledged without reading
    anything; ``submit_update`` checks again against storage when it stores it."""

    rules: Rules
    previous_rag: Rag | None


def form_checks(facts: FormFacts) -> FormChecks:
    return FormChecks(rules=facts.rules, previous_rag=facts.previous_rag)


def form_errors(ctx: AppContext, target: Target, entered: FormValues,
                checks: FormChecks | None) -> dict[str, str]:
    """The rule messages for what was entered, by field (empty: it may be stored). A form
    without ``checks`` (filled before they travelled with it) has them read from storage."""
    if checks is None:
        with session_scope(ctx.engine) as session:
            context = entry_context(session, target.deliverable_id, target.period)
        if context is None:  # gone: the store refuses it, saying so
            return {}
        checks = FormChecks(rules=context.rules, previous_rag=context.previous_rag)
    return check_update(
        checks.rules, rag=entered.rag, previous_rag=checks.previous_rag,
        narrative=entered.narrative, recovery_action=entered.recovery_action,
        recovery_date=entered.recovery_date, change_reason=entered.change_reason,
        today=ctx.today())


def deliverable_label(ctx: AppContext, deliverable_id: int) -> tuple[str | None, str] | None:
    """A deliverable's number and title, as its form shows them (None: no such deliverable)."""
    with session_scope(ctx.engine) as session:
        deliverable = session.get(Deliverable, deliverable_id)
        if deliverable is None:
            return None
        return deliverable.code or deliverable.number, deliverable.title


@dataclass(frozen=True)
class FormResult:
    """``errors`` (rule messages by field) or a ``refusal`` to show in the form, else the update
    is stored: ``stored`` is None only when the same form was submitted twice."""

    errors: Mapping[str, str] | None = None
    refusal: str | None = None
    stored: Stored | None = None


def submit_from_form(
    ctx: AppContext, *, actor: str | None, target: Target, entered: FormValues, form_id: str,
    person_id: int | None = None, refresh_home: bool = False, teams: bool = False,
) -> FormResult:
    """Store what ``actor`` (a Slack user; or the person ``person_id``, from a web form link)
    entered for ``target`` and record its follow-up messages (with a Home tab refresh when
    ``refresh_home``); committed when this returns. ``form_id`` (the channel's id of the
    submitted form) is the idempotency key: a double submit stores one version and one
    follow-up. ``teams``: the person ``person_id`` submitted their prompt card in Teams (the
    card's answer is the confirmation: no email)."""
    web = person_id is not None and not teams
    source = Source.teams if teams else Source.web if web else Source.modal
    key = "teams" if teams else "web" if web else "view"
    try:
        with session_scope(ctx.engine, write=True) as session:
            result = submit_update(
                session, actor_slack_id=actor or "", actor_person_id=person_id,
                deliverable_id=target.deliverable_id,
                period=target.period, rag=entered.rag or "", narrative=entered.narrative,
                recovery_action=entered.recovery_action, recovery_date=entered.recovery_date,
                change_reason=entered.change_reason, source=source,
                idempotency_key=f"{key}:{form_id}", today=ctx.today(),
                now=ctx.now(),
            )
            stored = (stored_update(result, target.period,
                                     result.update.submitted_by_slack_id or "",
                                     person_id=person_id)
                      if result.created else None)
            if stored is not None:
                record_message(
                    session, key=f"{FOLLOW_UP}:{result.update.id}", kind=FOLLOW_UP,
                    payload={**stored.as_payload(), "refresh_home": refresh_home},
                    period_id=result.update.period_id, deliverable_id=stored.deliverable_id)
                if web and result.update.id is not None:  # answered by link: confirmed by email
                    record_confirmation(session, update_id=result.update.id)
    except RuleViolation as violation:
        return FormResult(errors=dict(violation.errors))
    except UpdateError as refusal:  # not an owner, frozen, retired deliverable, ...
        return FormResult(refusal=str(refusal))
    return FormResult(stored=stored)


def after_form(ctx: AppContext, stored: Stored) -> None:
    """The follow-up of a stored form (the outbox's ``follow_up`` message): confirm to the actor
    (in their prompt's thread, found in storage), refresh every prompt of the deliverable and
    tell the co-owners. Raises ``SendError`` when the confirmation cannot be delivered (the
    outbox tries again, then reports it)."""
    ctx.channels.follow_ups.after_submit(submitted(ctx, stored), where=None)


# ------------------------------------------------------------------------------ thread replies

@dataclass(frozen=True)
class DirectMessage:
    """A message someone wrote to Ragtime: ``key`` names the message itself (in Slack its
    channel and ts), the same however often and under whatever event id it is delivered;
    ``thread_ts`` is the message it replies to, if any; ``written_at`` is when they wrote it
    (aware; None: when it arrived)."""

    key: str
    user: str
    channel: str
    ts: str | None
    thread_ts: str | None
    text: str
    written_at: datetime | None = None

    @property
    def in_thread(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts


@dataclass(frozen=True)
class ReplyAnswer:
    """What to answer when the message did not store an update: ``help`` (not in a thread),
    ``not_a_prompt`` (a thread that is not about a deliverable), ``missing`` (what the rules
    still need, with the ``draft`` to pre-fill the form) or ``refused`` (``reason``)."""

    kind: Literal["help", "not_a_prompt", "missing", "refused"]
    thread_ts: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    draft: Draft | None = None
    target: Target | None = None
    reason: str = ""


def submit_reply(
    ctx: AppContext, message: DirectMessage, answer: Callable[[ReplyAnswer], None]
) -> bool:
    """Handle one DM message: store the update a prompt's thread reply carries and confirm it
    (``ctx.channels.follow_ups``), or ``answer`` it. ``False`` when this delivery was handled
    before (a retry): nothing is stored or said again."""
    # Read and parsed before the write transaction, so it holds the write lock only to write.
    target = (_thread_target(ctx, message.channel, message.thread_ts or "")
              if message.in_thread else None)
    parsed = parse_reply(message.text) if target is not None else None
    with session_scope(ctx.engine, write=True) as session:
        if not claim(session, message.key):
            log.info("%s already handled; retry %s ignored", message.key, message.ts)
            return False
        if not message.in_thread:
            said: ReplyAnswer | Stored = ReplyAnswer("help")
        elif target is None or parsed is None:
            said = ReplyAnswer("not_a_prompt", message.thread_ts)
        else:
            said = _store_reply(session, ctx, message, target, parsed)
    try:
        if isinstance(said, Stored):  # committed: the follow-ups are read outside the write
            done = submitted(ctx, said)
            # Confirmed in the reply's thread; the refreshed cards and notices follow.
            ctx.channels.follow_ups.after_submit(
                done, where=(message.channel, message.thread_ts or ""))
        else:
            answer(said)
    except (SendError, SQLAlchemyError):
        release(ctx.engine, message.key)  # so the retry replies (and stores nothing twice)
        raise
    return True


def _thread_target(ctx: AppContext, channel: str, thread_ts: str) -> Target | None:
    """The deliverable and period of the prompt (or re-prompt) whose thread this is."""
    with session_scope(ctx.engine) as session:
        prompt = find_prompt(session, channel, thread_ts)
        period = _period_of(prompt.payload) if prompt is not None else None
        if prompt is None or prompt.deliverable_id is None or period is None:
            return None
        return Target(prompt.deliverable_id, period)


def _store_reply(
    session: Session, ctx: AppContext, message: DirectMessage, target: Target,
    parsed: ParsedReply,
) -> ReplyAnswer | Stored:
    period = target.period
    try:
        result = submit_update(
            session, actor_slack_id=message.user, deliverable_id=target.deliverable_id,
            period=period, rag=parsed.rag or "", narrative=parsed.narrative,
            recovery_action=parsed.recovery_action,
            recovery_date=parsed.recovery_date_text or parsed.recovery_date,
            change_reason=parsed.change_reason, source=Source.thread,
            idempotency_key=message.key, today=ctx.today(), now=ctx.now(),
            written_at=message.written_at,
        )
    except RuleViolation as violation:
        # Quoted back and pre-filled in the form: cleaned of what could not be stored.
        draft = Draft(rag=parsed.rag, narrative=storable(parsed.narrative),
                      recovery_action=_storable(parsed.recovery_action),
                      recovery_date=parsed.recovery_date,
                      change_reason=_storable(parsed.change_reason))
        return ReplyAnswer("missing", message.thread_ts, errors=dict(violation.errors),
                           draft=draft, target=target)
    except UpdateError as refusal:  # not an owner, frozen, retired deliverable
        return ReplyAnswer("refused", message.thread_ts, reason=str(refusal))
    return stored_update(result, period, message.user)


def _storable(text: str | None) -> str | None:
    return storable(text) if text is not None else None


def _period_of(payload: Mapping[str, object]) -> Period | None:
    try:
        return Period.parse(str(payload.get("period") or ""))
    except PeriodError:
        return None
