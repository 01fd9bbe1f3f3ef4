"""What became of each deliverable when its framework closed: its outcome.

Every deliverable of a closing framework (``bot.framework.lifecycle``) gets one of four
outcomes: *achieved*; *carried* forward to a deliverable of another framework; *merged* into
another deliverable; or *stopped*, with a reason. ``set_outcome`` is the one flow that sets
one, whoever calls it (the Slack modal, the web form, ``ragtime framework outcome``): the
deliverable's SROs and delegates may, and so may a governance lead; each setting is a new
version (``DeliverableOutcome``), audited, and the newest counts. ``outcome_facts`` is what a
form shows: the deliverable, its last update, its current outcome and the deliverables it can
be carried or merged into.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.collection.rounds import in_report_order
from bot.collection.storable import unstorable
from bot.collection.updates import update_history
from bot.framework.lifecycle import (
    LifecycleError,
    closure_of,
    find_deliverable,
    reference,
)
from bot.framework.permissions import is_governance_lead, may_submit
from storage.db import session_scope
from storage.models import (
    Deliverable,
    DeliverableOutcome,
    Framework,
    FrameworkState,
    OutcomeKind,
    PeriodRecord,
    Theme,
)
from storage.repo import audit

if TYPE_CHECKING:
    from bot.context import AppContext

REASON_MAX = 3000
OUTCOME_WORDS: dict[str, str] = {
    OutcomeKind.achieved: "Achieved",
    OutcomeKind.carried: "Carried forward",
    OutcomeKind.merged: "Merged",
    OutcomeKind.stopped: "Stopped",
}
OUTCOME_HINTS: dict[str, str] = {
    OutcomeKind.achieved: "delivered; nothing more to do",
    OutcomeKind.carried: "continues as a deliverable of another framework",
    OutcomeKind.merged: "continues as part of another deliverable",
    OutcomeKind.stopped: "will not be delivered (say why)",
}
FIELDS = ("outcome", "target", "reason")
NOT_YOURS = ("You are not an SRO or delegate of this deliverable (nor a governance lead), so "
             "you cannot record its outcome.")


class OutcomeError(Exception):
    """An outcome that cannot be set at all (not closing, not yours); the message says why."""


class OutcomeInvalid(ValueError):
    """What was entered breaks a rule: ``errors`` by field (outcome, target, reason)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class OutcomeEntry:
    """What someone entered. ``target`` is ``Framework/CODE`` (or ``CODE`` in the same
    framework), or a deliverable id as the forms' choices give it."""

    outcome: str | None
    target: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The outcome that counts, as plain values."""

    deliverable_id: int
    kind: OutcomeKind
    target_id: int | None
    target: str | None  # ``Framework/CODE``
    target_title: str | None
    reason: str | None
    version: int
    set_by: str
    set_at: datetime

    @property
    def word(self) -> str:
        return OUTCOME_WORDS[self.kind]

    def sentence(self) -> str:
        """``Carried forward to THRIVE/TE-1``, ``Stopped: no longer funded``."""
        if self.kind in (OutcomeKind.carried, OutcomeKind.merged) and self.target:
            joined = "to" if self.kind == OutcomeKind.carried else "into"
            text = f"{self.word} {joined} {self.target.replace('/', ' ', 1)}"
        else:
            text = self.word
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True)
class Saved:
    outcome: Outcome
    repeated: bool  # the same submission arrived again: nothing new stored


@dataclass(frozen=True)
class Who:
    """Who is setting an outcome, from a verified source only: a Slack user id from a signed
    request, a person id from a signed web form link, or the operator at the command line."""

    slack_id: str | None = None
    person_id: int | None = None
    operator: str | None = None  # ``cli:NAME``

    @property
    def label(self) -> str:
        if self.operator:
            return self.operator
        return self.slack_id or f"web:person:{self.person_id}"


@dataclass(frozen=True)
class Choice:
    id: int
    label: str  # ``TE-1 Digital front door``


@dataclass(frozen=True)
class ChoiceGroup:
    framework: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class LastUpdate:
    period: str
    rag: str
    narrative: str


@dataclass(frozen=True)
class OutcomeFacts:
    """What a form shows for one deliverable."""

    deliverable_id: int
    reference: str  # ``Step Up To Great/GO-3``
    number: str
    title: str
    theme: str
    framework: str
    final_year: str
    last_update: LastUpdate | None
    current: Outcome | None
    targets: tuple[ChoiceGroup, ...]


# ------------------------------------------------------------------------------ the flow

def set_outcome(ctx: AppContext, *, deliverable_id: int, entry: OutcomeEntry, who: Who,
                source: str, key: str | None = None) -> Saved:
    """Check who may, check the entry, and store it as a new version (``key``: the delivery's
    identity, so a repeated submission stores nothing twice). Raises ``OutcomeError`` (not
    closing, not theirs, no such deliverable) or ``OutcomeInvalid`` (by field)."""
    lead = bool(who.slack_id) and is_governance_lead(ctx, who.slack_id)
    with session_scope(ctx.engine, write=True) as session:
        if not (who.operator or lead or may_submit(
                session, deliverable_id=deliverable_id, slack_id=who.slack_id,
                person_id=who.person_id)):
            raise OutcomeError(NOT_YOURS)
        return record_outcome(session, deliverable_id=deliverable_id, entry=entry,
                              actor=who.label, person_id=who.person_id, source=source,
                              key=key, at=ctx.now())


def set_outcome_by_reference(ctx: AppContext, *, framework: str, code: str,
                             entry: OutcomeEntry, operator: str) -> Saved:
    """``ragtime framework outcome``: the deliverable named by its framework and code."""
    with session_scope(ctx.engine) as session:
        try:
            deliverable = find_deliverable(session, f"{framework}/{code}")
        except LifecycleError as error:
            raise OutcomeError(str(error)) from None
        deliverable_id = deliverable.id or 0
    return set_outcome(ctx, deliverable_id=deliverable_id, entry=entry,
                       who=Who(operator=operator), source="cli")


def record_outcome(session: Session, *, deliverable_id: int, entry: OutcomeEntry, actor: str,
                   person_id: int | None, source: str, key: str | None, at: datetime) -> Saved:
    """Store ``entry`` as the deliverable's newest outcome (no permission check: callers)."""
    deliverable = session.get(Deliverable, deliverable_id)
    if deliverable is None:
        raise OutcomeError("This deliverable is no longer part of any framework.")
    framework = session.get(Framework, deliverable.framework_id)
    assert framework is not None
    closure = closure_of(session, framework.id or 0)
    if closure is None:
        raise OutcomeError(f"'{framework.name}' is not closing, so its deliverables need no "
                           "outcome yet; a governance lead starts the closure with `ragtime "
                           "framework close`.")
    if closure.state == FrameworkState.closed:
        raise OutcomeError(f"'{framework.name}' is closed: its closure report is approved, so "
                           "outcomes can no longer change.")
    if key:
        earlier = session.exec(select(DeliverableOutcome)
                               .where(DeliverableOutcome.idempotency_key == key)).first()
        if earlier is not None:
            return Saved(_as_outcome(session, earlier), repeated=True)
    kind, target, reason = check_entry(session, deliverable, entry)
    version = (session.exec(select(func.max(DeliverableOutcome.version)).where(
        DeliverableOutcome.deliverable_id == deliverable_id)).one() or 0) + 1
    row = DeliverableOutcome(
        deliverable_id=deliverable_id, version=version, outcome=kind,
        target_id=target.id if target else None, reason=reason, set_by_id=person_id,
        set_by=actor, set_at=at, source=source, idempotency_key=key)
    session.add(row)
    session.flush()
    audit(session=session, actor=actor, action="outcome.set",
          subject=f"deliverable:{deliverable_id}", outcome=kind.value, version=version,
          target=target.id if target else None, reason=reason, source=source)
    return Saved(_as_outcome(session, row), repeated=False)


def check_entry(session: Session, deliverable: Deliverable, entry: OutcomeEntry
                ) -> tuple[OutcomeKind, Deliverable | None, str | None]:
    """The entry's outcome, target and reason, or ``OutcomeInvalid`` by field: carried and
    merged need a target (carried: in another framework), stopped needs a reason."""
    errors: dict[str, str] = {}
    word = (entry.outcome or "").strip().lower()
    kind = {"carried forward": "carried", "carried-forward": "carried", "carry": "carried",
            "merge": "merged", "stop": "stopped", "achieve": "achieved"}.get(word, word)
    reason = (entry.reason or "").strip() or None
    if kind not in OutcomeKind.__members__:
        errors["outcome"] = ("Choose an outcome: achieved, carried forward, merged or "
                             "stopped.")
    if reason and len(reason) > REASON_MAX:
        errors["reason"] = f"The reason is {len(reason)} characters; keep it under {REASON_MAX}."
    elif reason and (problem := unstorable(reason)):
        errors["reason"] = f"The reason {problem}."
    target: Deliverable | None = None
    needs_target = kind in (OutcomeKind.carried, OutcomeKind.merged)
    text = (entry.target or "").strip()
    if needs_target and not text:
        errors["target"] = ("Choose the deliverable it is carried forward to."
                            if kind == OutcomeKind.carried else
                            "Choose the deliverable it is merged into.")
    elif needs_target:
        try:
            target = (session.get(Deliverable, int(text)) if text.isdigit() else
                      find_deliverable(session, text, within=deliverable.framework_id))
        except LifecycleError as error:
            errors["target"] = str(error)[:1].upper() + str(error)[1:] + "."
        if target is None and "target" not in errors:
            errors["target"] = "That deliverable no longer exists; choose another."
        elif target is not None and target.id == deliverable.id:
            errors["target"] = "A deliverable cannot be merged into itself."
        elif (target is not None and kind == OutcomeKind.carried
              and target.framework_id == deliverable.framework_id):
            errors["target"] = ("Carried forward means to a deliverable of another framework "
                                "(the new strategy); to combine it with one of this framework, "
                                "choose merged.")
    if kind == OutcomeKind.stopped and not reason:
        errors["reason"] = "Say why it stopped."
    if errors:
        raise OutcomeInvalid(errors)
    return OutcomeKind(kind), target if needs_target else None, reason


# ------------------------------------------------------------------------------ queries

def latest_outcomes(session: Session, deliverable_ids: Iterable[int]) -> dict[int, Outcome]:
    """The outcome that counts (the newest version) of each deliverable that has one."""
    ids = list(deliverable_ids)
    if not ids:
        return {}
    newest = (select(DeliverableOutcome.deliverable_id,
                     func.max(DeliverableOutcome.version).label("version"))
              .where(col(DeliverableOutcome.deliverable_id).in_(ids))
              .group_by(DeliverableOutcome.deliverable_id).subquery())
    rows = session.exec(select(DeliverableOutcome).join(
        newest, (newest.c.deliverable_id == DeliverableOutcome.deliverable_id)
        & (newest.c.version == DeliverableOutcome.version))).all()
    return {row.deliverable_id: _as_outcome(session, row) for row in rows}


def missing_outcomes(session: Session, framework_id: int) -> list[tuple[str, str]]:
    """(code, title) of each active deliverable of the framework without an outcome, in
    report order."""
    rows = session.exec(in_report_order(framework_id, Deliverable)).all()
    have = latest_outcomes(session, [d.id for d in rows if d.id is not None])
    return [(d.code or d.number or d.ref, d.title) for d in rows if d.id not in have]


def outcome_facts(session: Session, deliverable_id: int) -> OutcomeFacts | None:
    """What a form shows for the deliverable (None when it no longer exists)."""
    deliverable = session.get(Deliverable, deliverable_id)
    if deliverable is None:
        return None
    framework = session.get(Framework, deliverable.framework_id)
    theme = session.get(Theme, deliverable.theme_id)
    assert framework is not None and theme is not None
    closure = closure_of(session, framework.id or 0)
    history = update_history(session, deliverable_id)
    last = None
    if history:
        newest = history[-1]
        period = session.get(PeriodRecord, newest.period_id)
        last = LastUpdate(period.label if period else "", str(newest.rag.value
                          if hasattr(newest.rag, "value") else newest.rag), newest.narrative)
    return OutcomeFacts(
        deliverable_id=deliverable_id, reference=reference(framework.name, deliverable),
        number=deliverable.code or deliverable.number, title=deliverable.title,
        theme=theme.name, framework=framework.name,
        final_year=f"{closure.fy}/{(closure.fy + 1) % 100:02d}" if closure else "",
        last_update=last,
        current=latest_outcomes(session, [deliverable_id]).get(deliverable_id),
        targets=target_choices(session, deliverable),
    )


def target_choices(session: Session, deliverable: Deliverable, *, per_framework: int = 99
                   ) -> tuple[ChoiceGroup, ...]:
    """The deliverables it can be carried forward or merged into: other frameworks' first
    (newest first), then its own framework's, without itself; at most ``per_framework``
    each (a form's list is limited; the command line takes any)."""
    own = deliverable.framework_id
    groups = []
    every = list(session.exec(select(Framework).order_by(col(Framework.id).desc())))
    for framework in [f for f in every if f.id != own] + [f for f in every if f.id == own]:
        rows = session.exec(in_report_order(framework.id or 0, Deliverable)).all()
        choices = tuple(Choice(d.id or 0, f"{d.code or d.number} {d.title}".strip())
                        for d in rows if d.id != deliverable.id)[:per_framework]
        if choices:
            groups.append(ChoiceGroup(framework.name, choices))
    return tuple(groups)


def _as_outcome(session: Session, row: DeliverableOutcome) -> Outcome:
    target = session.get(Deliverable, row.target_id) if row.target_id else None
    framework = session.get(Framework, target.framework_id) if target else None
    return Outcome(
        deliverable_id=row.deliverable_id, kind=OutcomeKind(row.outcome),
        target_id=row.target_id,
        target=reference(framework.name, target) if target and framework else None,
        target_title=target.title if target else None, reason=row.reason,
        version=row.version, set_by=row.set_by, set_at=row.set_at)


@dataclass(frozen=True)
class OutcomeRow:
    """A deliverable of a closing framework and its outcome (None: still needed)."""

    theme: str
    number: str
    title: str
    outcome: Outcome | None

    def as_dict(self) -> dict[str, object]:
        found = self.outcome
        return {"theme": self.theme, "deliverable": self.number, "title": self.title,
                "outcome": found.kind.value if found else None,
                "target": found.target if found else None,
                "reason": found.reason if found else None}


def outcome_rows(session: Session, framework_id: int) -> list[OutcomeRow]:
    """Each active deliverable of the framework with its outcome, in report order."""
    rows = session.exec(in_report_order(framework_id, Deliverable, Theme.name)).all()
    have = latest_outcomes(session, [d.id for d, _ in rows if d.id is not None])
    return [OutcomeRow(theme, d.code or d.number or d.ref, d.title, have.get(d.id or 0))
            for d, theme in rows]


# ------------------------------------------------------------------------------ for the forms

@dataclass(frozen=True)
class OutcomeOffer:
    """The outcome form for someone: ``facts``, or why not (``refusal``, for the person)."""

    facts: OutcomeFacts | None = None
    refusal: str | None = None


def facts_of(engine: Engine, deliverable_id: int) -> OutcomeFacts | None:
    """``outcome_facts`` in its own read-only unit of work (a request being drawn)."""
    with session_scope(engine) as session:
        return outcome_facts(session, deliverable_id)


def outcome_form_for(ctx: AppContext, who: Who, deliverable_id: int) -> OutcomeOffer:
    """What the outcome form shows ``who`` for the deliverable, after the same checks as
    ``set_outcome``: theirs (or a lead's), and its framework closing."""
    lead = bool(who.slack_id) and is_governance_lead(ctx, who.slack_id)
    with session_scope(ctx.engine) as session:
        facts = outcome_facts(session, deliverable_id)
        if facts is None:
            return OutcomeOffer(refusal="This deliverable is no longer part of any framework.")
        if not (who.operator or lead or may_submit(
                session, deliverable_id=deliverable_id, slack_id=who.slack_id,
                person_id=who.person_id)):
            return OutcomeOffer(refusal=NOT_YOURS)
        deliverable = session.get(Deliverable, deliverable_id)
        assert deliverable is not None
        closure = closure_of(session, deliverable.framework_id)
        if closure is None:
            return OutcomeOffer(refusal=f"'{facts.framework}' is not closing, so its "
                                        "deliverables need no outcome.")
        if closure.state == FrameworkState.closed:
            return OutcomeOffer(refusal=f"'{facts.framework}' is closed: its closure report "
                                        "is approved, so outcomes can no longer change.")
        return OutcomeOffer(facts=facts)
