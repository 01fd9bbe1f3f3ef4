"""A risk owner's return arriving from any channel: the one flow every entry point calls.

The Slack modal, a DM thread reply, the web form and the CLI all call ``risk_form_for`` to show
the form and ``submit_risk_return`` / ``confirm_no_change`` to save it; each opens its own unit
of work and gives back a plain ``ReturnOutcome`` the channel renders. The acting user comes
from the channel's verified identity (a signed Slack payload, a signed web link) and is
re-checked here (``bot.framework.permissions.may_return_risk``), whatever the form named.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.collection.risk_replies import HOW, parse_risk_reply
from bot.collection.risk_returns import (
    ReturnResult,
    ReturnRuleViolation,
    RiskEntry,
    confirm_unchanged,
    prefill,
    risk_entry,
    submit_return,
)
from bot.collection.risk_round import RISK_CONFIRMATION, RISK_PROMPT, RiskStatus, risk_progress
from bot.collection.risk_rules import ReturnFields
from bot.collection.updates import UpdateError
from bot.framework.permissions import may_return_risk
from bot.messaging.inbound import claim
from bot.messaging.outbox import record_message
from storage.db import session_scope
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

SLACK_SOURCES = ("modal", "thread", "button")  # entered on Slack: confirmed there


@dataclass(frozen=True)
class ReturnOutcome:
    """Saved (``saved``), refused by the rules (``errors``: field → message) or refused
    outright (``refused``: a message: not an owner, the quarter locked, …)."""

    saved: ReturnResult | None = None
    errors: dict[str, str] = field(default_factory=dict)
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.saved is not None


@dataclass(frozen=True)
class RiskFormOffer:
    entry: RiskEntry | None = None
    refused: str | None = None


def risk_form_for(ctx: AppContext, *, risk_id: int, period: Period,
                  actor_slack_id: str | None = None,
                  person_id: int | None = None) -> RiskFormOffer:
    """May the actor return ``risk_id`` for ``period``, and what the form shows (this quarter's
    latest return, else last quarter's, to pre-fill it)."""
    with session_scope(ctx.engine) as session:
        if not may_return_risk(session, risk_id=risk_id, slack_id=actor_slack_id,
                               person_id=person_id):
            log.warning("%s may not return risk %s: form refused",
                        actor_slack_id or f"person:{person_id}", risk_id)
            return RiskFormOffer(refused="You are not an owner of this BAF risk.")
        entry = risk_entry(session, risk_id, period)
        if entry is None:
            return RiskFormOffer(refused="This risk is no longer part of the framework.")
        if entry.closed:
            return RiskFormOffer(refused=entry.closed)
        return RiskFormOffer(entry=entry)


def submit_risk_return(
    ctx: AppContext, *, risk_id: int, period: Period, entered: ReturnFields, source: str,
    actor_slack_id: str = "", person_id: int | None = None,
    idempotency_key: str | None = None,
) -> ReturnOutcome:
    """Store the return in one write transaction; the rules' errors and any refusal come back
    as values for the channel to show."""
    return _saving(ctx, lambda session: submit_return(
        session, risk_id=risk_id, period=period, entered=entered, source=source,
        actor_slack_id=actor_slack_id, actor_person_id=person_id,
        idempotency_key=idempotency_key, today=ctx.today(), now=ctx.now()),
        period=period, actor_slack_id=actor_slack_id if source in SLACK_SOURCES else "")


def confirm_no_change(
    ctx: AppContext, *, risk_id: int, period: Period, source: str, actor_slack_id: str = "",
    person_id: int | None = None, idempotency_key: str | None = None,
) -> ReturnOutcome:
    """"No change this quarter": last quarter's return confirmed in one step."""
    return _saving(ctx, lambda session: confirm_unchanged(
        session, risk_id=risk_id, period=period, source=source,
        actor_slack_id=actor_slack_id, actor_person_id=person_id,
        idempotency_key=idempotency_key, today=ctx.today(), now=ctx.now()),
        period=period, actor_slack_id=actor_slack_id if source in SLACK_SOURCES else "")


def _record_confirmation(session: Session, result: ReturnResult, period: Period,
                         to: str) -> None:
    stored = result.stored
    prompt = session.exec(select(OutboxMessage).where(
        OutboxMessage.key == f"{RISK_PROMPT}:{period.slug}:{stored.risk_id}:"
                             f"{stored.submitted_by_id}")).first()
    record_message(
        session, key=f"{RISK_CONFIRMATION}:{stored.id}", kind=RISK_CONFIRMATION,
        period_id=stored.period_id, person_id=stored.submitted_by_id,
        payload={"to": to, "channel": prompt.channel if prompt and prompt.ts else None,
                 "thread_ts": prompt.ts if prompt else None, "period": period.label,
                 "risk_id": stored.risk_id, "number": result.risk.number,
                 "title": result.risk.title, "score": stored.score,
                 "likelihood": stored.likelihood, "consequence": stored.consequence,
                 "version": stored.version, "unchanged": stored.unchanged,
                 "flags": list(result.flags)})


def _saving(ctx: AppContext, save: Callable[[Session], ReturnResult], *, period: Period,
            actor_slack_id: str) -> ReturnOutcome:
    """Store in one write transaction; a return entered on Slack records its confirmation in
    the same transaction (the worker sends it), so none is lost and none is sent twice."""
    try:
        with session_scope(ctx.engine, write=True) as session:
            result = save(session)
            if result.created and actor_slack_id:
                _record_confirmation(session, result, period, actor_slack_id)
            return ReturnOutcome(saved=result)
    except ReturnRuleViolation as violation:
        return ReturnOutcome(errors=violation.errors)
    except UpdateError as refusal:  # not an owner, no open round, the quarter locked, …
        return ReturnOutcome(refused=str(refusal))


def risks_of_person(ctx: AppContext, *, person_id: int, period: Period,
                    framework_id: int) -> list[RiskStatus]:
    """The risks ``person_id`` owns in the framework, with their return for ``period`` (the
    web form's list of the owner's risks)."""
    with session_scope(ctx.engine) as session:
        return [item for item in risk_progress(session, period, framework_id).risks
                if person_id in item.risk.owner_ids]


@dataclass(frozen=True)
class RiskReplyAnswer:
    """What to say in the thread: ``text`` (None: nothing, the confirmation is in the outbox
    or this delivery was handled before)."""

    text: str | None


def submit_risk_reply(ctx: AppContext, *, key: str, user: str, channel: str, thread_ts: str,
                      text: str) -> RiskReplyAnswer | None:
    """A DM reply in a BAF risk prompt's thread, stored as the owner's return (claimed by the
    message's ``key`` in the same transaction, so a redelivery is answered once); None when the
    thread is not a risk prompt's."""
    with session_scope(ctx.engine) as session:
        prompt = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == RISK_PROMPT, OutboxMessage.channel == channel,
            OutboxMessage.ts == thread_ts)).first()
        if prompt is None:
            return None
        risk_id, period = int(prompt.payload["risk_id"]), Period.parse(prompt.payload["period"])
    parsed = parse_risk_reply(text)
    with session_scope(ctx.engine, write=True) as session:
        if not claim(session, key):
            return RiskReplyAnswer(None)
        if parsed is None:
            return RiskReplyAnswer(HOW)
        try:
            if parsed.unchanged:
                result = confirm_unchanged(
                    session, risk_id=risk_id, period=period, source="thread",
                    actor_slack_id=user, idempotency_key=key, today=ctx.today(), now=ctx.now())
            else:
                entered = replace(prefill(session, risk_id, period).fields(),
                                  likelihood=parsed.likelihood, consequence=parsed.consequence,
                                  rationale=parsed.rationale)
                result = submit_return(
                    session, risk_id=risk_id, period=period, entered=entered, source="thread",
                    actor_slack_id=user, idempotency_key=key, today=ctx.today(), now=ctx.now())
        except ReturnRuleViolation as violation:
            return RiskReplyAnswer("Not saved: " + " ".join(violation.errors.values())
                                   + " Use “Return this risk” on the prompt to fill in the rest.")
        except UpdateError as refusal:
            return RiskReplyAnswer(f"Not saved: {refusal}")
        if result.created:
            _record_confirmation(session, result, period, user)
        return RiskReplyAnswer(None)
