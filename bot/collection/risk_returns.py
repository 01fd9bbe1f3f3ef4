"""Risk returns: a risk owner's quarterly likelihood, consequence, controls, assurances and
actions for a BAF risk. Submitted (versioned, never overwritten, audited) and read back.

Call these inside ``session_scope(engine, write=True)`` (``bot.collection.risk_flows`` does, for
every channel). Like updates, a return is filed only into the framework's round for the period
while it accepts entries (``bot.collection.updates.accepting_round``): locked with the quarter.
The rules at entry are ``bot.collection.risk_rules``.

A risk's score for a quarter is its latest return's, else the score its framework file gave for
that quarter (``risk_scores``): the seed's imported scores stand until owners return new ones.
A risk carried on from an earlier framework (``bot.framework.risk_carry``) continues that risk's
scores: its history starts with the old risk's, and until it has a score of its own last
quarter, the old risk's last score stands as last quarter's (``previous_score``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.collection.risk_rules import (
    Action,
    Assurance,
    CheckedReturn,
    ReturnFields,
    RiskFacts,
    check_return,
    flags_for,
)
from bot.collection.updates import UpdateError, accepting_round
from bot.framework.baf import direction
from bot.framework.permissions import may_return_risk
from bot.framework.risk_carry import risk_carried_from
from bot.framework.risks import RiskInfo, baf_scale, load_risks
from storage.models import (
    Deliverable,
    PeriodRecord,
    Person,
    Risk,
    RiskReturn,
    RiskScore,
    utcnow,
)
from storage.repo import add_new, audit, find_period

VERSION_RETRIES = 10
SOURCES = ("modal", "thread", "button", "web", "cli", "teams")


class ReturnError(UpdateError):
    """A return that cannot be stored; ``str(error)`` is a message for the owner."""


class NotRiskOwner(ReturnError):
    """The acting user does not own the risk."""


class ReturnRuleViolation(ReturnError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass(frozen=True)
class ReturnDraft:
    """A return to pre-fill a form with: this quarter's latest, else last quarter's."""

    likelihood: int | None = None
    consequence: int | None = None
    rationale: str = ""
    controls: str = ""
    control_gaps: str = ""
    assurances: tuple[Assurance, ...] = ()
    assurance_gaps: str = ""
    actions: tuple[Action, ...] = ()
    from_period: str | None = None  # the quarter it came from, when not this one

    def fields(self) -> ReturnFields:
        return ReturnFields(
            likelihood=self.likelihood, consequence=self.consequence, rationale=self.rationale,
            controls=self.controls, control_gaps=self.control_gaps,
            assurances=[a.plain() for a in self.assurances], assurance_gaps=self.assurance_gaps,
            actions=[a.plain() for a in self.actions])


@dataclass(frozen=True)
class RiskEntry:
    """What a form needs before a risk owner enters a return."""

    risk: RiskInfo
    facts: RiskFacts
    draft: ReturnDraft
    current: RiskReturn | None  # this quarter's latest, if any
    closed: str | None  # why nothing can be saved now (no open round, frozen), else None


@dataclass(frozen=True)
class ReturnResult:
    stored: RiskReturn
    created: bool  # False: the idempotency key had been used (a retry)
    flags: tuple[str, ...]
    previous_score: int | None
    risk: RiskInfo


def submit_return(
    session: Session, *, risk_id: int, period: Period, entered: ReturnFields, source: str,
    actor_slack_id: str = "", actor_person_id: int | None = None, unchanged: bool = False,
    idempotency_key: str | None = None, today: date, now: datetime | None = None,
) -> ReturnResult:
    """Store a new version of the risk's return for ``period``.

    Checked in order: the actor owns the risk (``NotRiskOwner``; the refusal is audited and
    committed), a used ``idempotency_key`` returns the stored return (``created=False``), the
    round accepts entries (``NoOpenRound``, ``PeriodFrozen``), the rules hold
    (``ReturnRuleViolation``)."""
    actor = actor_slack_id or (f"person:{actor_person_id}" if actor_person_id else "?")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if not may_return_risk(session, risk_id=risk_id, slack_id=actor_slack_id,
                           person_id=actor_person_id):
        audit(session=session, actor=actor, action="risk_return.refused",
              subject=f"risk:{risk_id}", period=period.label, reason="not a risk owner",
              source=source)
        session.commit()
        raise NotRiskOwner("You are not an owner of this BAF risk, so you cannot return it. If "
                           "that is wrong, ask a governance lead to correct the framework.")
    if idempotency_key:
        existing = _by_key(session, idempotency_key)
        if existing is not None:
            return _result(session, existing, created=False)
    risk_row = session.get(Risk, risk_id, with_for_update=True)
    if risk_row is None:
        raise ReturnError("This risk is no longer part of the framework.")
    period_id = accepting_round(session, risk_row.framework_id, period).period_id
    facts = risk_facts(session, risk_row, period)
    checked = check_return(facts, entered, today=today)
    if checked.errors or checked.value is None:
        raise ReturnRuleViolation(checked.errors)
    value = checked.value
    submitter = _submitter(session, actor_slack_id, actor_person_id)
    fields: dict[str, Any] = dict(
        risk_id=risk_id, period_id=period_id, likelihood=value.likelihood,
        consequence=value.consequence, score=value.score, rationale=value.rationale,
        controls=value.controls, control_gaps=value.control_gaps,
        assurances=[a.plain() for a in value.assurances], assurance_gaps=value.assurance_gaps,
        actions=[a.plain() for a in value.actions], unchanged=unchanged,
        submitted_by_id=submitter.id if submitter else None,
        submitted_by_slack_id=(submitter.slack_id if submitter else None) or (
            actor_slack_id or None),
        submitted_at=(now or utcnow()).astimezone(UTC), source=source,
        idempotency_key=idempotency_key or None)
    for _ in range(VERSION_RETRIES):
        # ON CONFLICT DO NOTHING: a version or delivery taken meanwhile tries again, no savepoint.
        version = _last_version(session, risk_id, period_id) + 1
        stored = add_new(session, RiskReturn, unique=None, values={**fields, "version": version})
        if stored is not None:
            break
        if idempotency_key and (existing := _by_key(session, idempotency_key)):
            return _result(session, existing, created=False)
    else:
        raise ReturnError("Too many people saved this return at once; please submit it again.")
    audit(session=session, actor=actor, action="risk_return.submitted",
          subject=f"risk:{risk_id}", period=period.label, return_id=stored.id,
          version=stored.version, score=stored.score, likelihood=stored.likelihood,
          consequence=stored.consequence, unchanged=unchanged, source=source,
          previous_score=facts.previous_score, flags=list(value.flags))
    return ReturnResult(stored=stored, created=True, flags=value.flags,
                        previous_score=facts.previous_score,
                        risk=load_risks(session, risk_row.framework_id, risk_ids=[risk_id])[0])


def confirm_unchanged(
    session: Session, *, risk_id: int, period: Period, source: str,
    actor_slack_id: str = "", actor_person_id: int | None = None,
    idempotency_key: str | None = None, today: date, now: datetime | None = None,
) -> ReturnResult:
    """"No change this quarter": last quarter's return confirmed in one step (the rules still
    apply: a risk above target with no dated action must be returned in full). Raises
    ``ReturnError`` when there is no earlier return to confirm."""
    draft = prefill(session, risk_id, period)
    if draft.likelihood is None:
        raise ReturnError("There is no earlier return of this risk to confirm: fill in the "
                          "return this quarter.")
    entered = replace(draft.fields(), rationale=draft.rationale or "No change this quarter.")
    return submit_return(session, risk_id=risk_id, period=period, entered=entered,
                         source=source, actor_slack_id=actor_slack_id,
                         actor_person_id=actor_person_id, unchanged=True,
                         idempotency_key=idempotency_key, today=today, now=now)


def risk_entry(session: Session, risk_id: int, period: Period) -> RiskEntry | None:
    risk_row = session.get(Risk, risk_id)
    if risk_row is None:
        return None
    try:
        accepting_round(session, risk_row.framework_id, period)
        closed = None
    except UpdateError as refusal:
        closed = str(refusal)
    return RiskEntry(
        risk=load_risks(session, risk_row.framework_id, risk_ids=[risk_id])[0],
        facts=risk_facts(session, risk_row, period), draft=prefill(session, risk_id, period),
        current=latest_return(session, risk_id, period), closed=closed)


def risk_facts(session: Session, risk: Risk, period: Period) -> RiskFacts:
    info = load_risks(session, risk.framework_id, risk_ids=[risk.id or 0])[0]
    refs = session.exec(select(Deliverable.code).where(
        Deliverable.framework_id == risk.framework_id, col(Deliverable.active).is_(True))).all()
    previous, carried_from = previous_score(session, risk.id or 0, period)
    return RiskFacts(
        previous_score=previous, carried_from=carried_from,
        target=info.target, target_date=info.target_date, appetite=info.appetite,
        scale=baf_scale(session, risk.framework_id),
        deliverables=[ref.upper() for ref in refs if ref])


# ------------------------------------------------------------------------------ reading

def latest_return(session: Session, risk_id: int, period: Period) -> RiskReturn | None:
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return None
    return session.exec(select(RiskReturn).where(
        RiskReturn.risk_id == risk_id, RiskReturn.period_id == record.id)
        .order_by(col(RiskReturn.version).desc()).limit(1)).first()


def latest_returns(session: Session, period: Period,
                   risk_ids: list[int] | None = None) -> dict[int, RiskReturn]:
    """Risk id → its latest return in ``period`` (absent when outstanding)."""
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return {}
    newest = (select(RiskReturn.risk_id, func.max(RiskReturn.version).label("version"))
              .where(RiskReturn.period_id == record.id)
              .group_by(RiskReturn.risk_id).subquery())
    query = select(RiskReturn).join(newest, (newest.c.risk_id == RiskReturn.risk_id) & (
        newest.c.version == RiskReturn.version)).where(RiskReturn.period_id == record.id)
    if risk_ids is not None:
        query = query.where(col(RiskReturn.risk_id).in_(risk_ids))
    return {row.risk_id: row for row in session.exec(query).all()}


def prefill(session: Session, risk_id: int, period: Period) -> ReturnDraft:
    """This quarter's latest return, else last quarter's (marked ``from_period``), else empty."""
    for when in (period, period.previous()):
        found = latest_return(session, risk_id, when)
        if found is not None:
            return ReturnDraft(
                likelihood=found.likelihood, consequence=found.consequence,
                rationale=found.rationale if when == period else "",
                controls=found.controls, control_gaps=found.control_gaps,
                assurances=tuple(Assurance(**a) for a in found.assurances),
                assurance_gaps=found.assurance_gaps,
                actions=tuple(Action.of(a) for a in found.actions),
                from_period=None if when == period else when.label)
    return ReturnDraft()


def score_in(session: Session, risk_id: int, period: Period) -> int | None:
    """The risk's score for ``period``: its latest return's, else the file's, else None."""
    found = latest_return(session, risk_id, period)
    if found is not None:
        return found.score
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return None
    imported = session.exec(select(RiskScore.score).where(
        RiskScore.risk_id == risk_id, RiskScore.period_id == record.id)).first()
    return imported


def previous_score(session: Session, risk_id: int, period: Period
                   ) -> tuple[int | None, str | None]:
    """Last quarter's score as a prompt shows it and the rules compare with, and where it came
    from when not from the risk itself: its own score for the quarter before ``period``; for a
    risk carried on from an earlier framework with none, the last score the old risk had up to
    then, with the old risk's name (``Step Up To Great BAF 01``)."""
    own = score_in(session, risk_id, period.previous())
    if own is not None:
        return own, None
    carried = risk_carried_from(session, [risk_id]).get(risk_id)
    if carried is None:
        return None, None
    history = risk_scores(session, carried.source_framework_id, period.previous(),
                          carried=False).get(carried.source_id, [])
    return (history[-1].score if history else None), carried.label


@dataclass(frozen=True)
class ScoreAt:
    period: Period
    score: int
    direction: str | None  # as the file gave it (imported scores only)
    returned: RiskReturn | None  # the return it came from, None for an imported score


def risk_scores(session: Session, framework_id: int, upto: Period, *, carried: bool = True
                ) -> dict[int, list[ScoreAt]]:
    """Every quarter's score of the framework's risks up to ``upto``, oldest first, by risk id:
    a quarter's latest return where there is one, else the file's score. A risk carried on from
    an earlier framework starts with the old risk's scores of the quarters before its own
    (unless ``carried`` is False)."""
    found = _scores(session, framework_id, upto)
    if not carried:
        return found
    links = risk_carried_from(session, framework_id=framework_id)
    for source_framework in {link.source_framework_id for link in links.values()}:
        old = _scores(session, source_framework, upto)
        for link in links.values():
            if link.source_framework_id != source_framework:
                continue
            own = found.get(link.risk_id, [])
            first = (own[0].period.fy, own[0].period.quarter) if own else None
            before = [item for item in old.get(link.source_id, [])
                      if first is None or (item.period.fy, item.period.quarter) < first]
            if before:
                found[link.risk_id] = before + own
    return found


def _scores(session: Session, framework_id: int, upto: Period) -> dict[int, list[ScoreAt]]:
    bound = upto.fy * 4 + upto.quarter
    found: dict[int, dict[Period, ScoreAt]] = defaultdict(dict)
    for score, fy, quarter in session.exec(
            select(RiskScore, PeriodRecord.fy, PeriodRecord.quarter)
            .join(PeriodRecord, col(PeriodRecord.id) == RiskScore.period_id)
            .join(Risk, col(Risk.id) == RiskScore.risk_id)
            .where(Risk.framework_id == framework_id,
                   PeriodRecord.fy * 4 + PeriodRecord.quarter <= bound)).all():
        period = Period(fy, quarter)
        found[score.risk_id][period] = ScoreAt(period, score.score, score.direction, None)
    newest = (select(RiskReturn.risk_id, RiskReturn.period_id,
                     func.max(RiskReturn.version).label("version"))
              .group_by(RiskReturn.risk_id, RiskReturn.period_id).subquery())
    for row, fy, quarter in session.exec(
            select(RiskReturn, PeriodRecord.fy, PeriodRecord.quarter)
            .join(newest, (newest.c.risk_id == RiskReturn.risk_id)
                  & (newest.c.period_id == RiskReturn.period_id)
                  & (newest.c.version == RiskReturn.version))
            .join(PeriodRecord, col(PeriodRecord.id) == RiskReturn.period_id)
            .join(Risk, col(Risk.id) == RiskReturn.risk_id)
            .where(Risk.framework_id == framework_id,
                   PeriodRecord.fy * 4 + PeriodRecord.quarter <= bound)).all():
        period = Period(fy, quarter)
        found[row.risk_id][period] = ScoreAt(period, row.score, None, row)
    return {risk_id: [by_period[p] for p in sorted(by_period, key=lambda p: (p.fy, p.quarter))]
            for risk_id, by_period in found.items()}


def direction_of(history: list[ScoreAt]) -> str | None:
    """The direction of a risk's latest score: as its framework file gave it for that quarter,
    else against the score recorded before it (``bot.framework.baf.direction``). The one rule
    for the paper's tables, the BAF summary and ``ragtime risks``."""
    if not history:
        return None
    latest = history[-1]
    if latest.direction:
        return latest.direction
    return direction(latest.score, history[-2].score if len(history) > 1 else None)


def return_history(session: Session, risk_id: int) -> list[RiskReturn]:
    """Every version of every quarter, oldest first (the audit trail of the risk)."""
    return list(session.exec(
        select(RiskReturn).join(PeriodRecord, col(PeriodRecord.id) == RiskReturn.period_id)
        .where(RiskReturn.risk_id == risk_id)
        .order_by(PeriodRecord.fy, PeriodRecord.quarter, RiskReturn.version)).all())


# ------------------------------------------------------------------------------ helpers

def _by_key(session: Session, key: str) -> RiskReturn | None:
    return session.exec(select(RiskReturn).where(RiskReturn.idempotency_key == key)).first()


def _last_version(session: Session, risk_id: int, period_id: int) -> int:
    return session.exec(select(func.max(RiskReturn.version)).where(
        RiskReturn.risk_id == risk_id, RiskReturn.period_id == period_id)).one() or 0


def _submitter(session: Session, slack_id: str, person_id: int | None) -> Person | None:
    if person_id is not None:
        return session.get(Person, person_id)
    if slack_id:
        return session.exec(select(Person).where(Person.slack_id == slack_id)).first()
    return None


def _result(session: Session, stored: RiskReturn, *, created: bool) -> ReturnResult:
    """An already stored return (a retry of the same delivery) as a result, flags as they
    stand now."""
    risk = session.get(Risk, stored.risk_id)
    record = session.get(PeriodRecord, stored.period_id)
    assert risk is not None and record is not None
    facts = risk_facts(session, risk, Period(record.fy, record.quarter))
    return ReturnResult(stored=stored, created=created,
                        flags=flags_for(facts, stored.score, today=stored.submitted_at.date()),
                        previous_score=facts.previous_score,
                        risk=load_risks(session, risk.framework_id, risk_ids=[risk.id or 0])[0])


__all__ = ["CheckedReturn", "ReturnDraft", "ReturnResult", "RiskEntry", "ScoreAt",
           "confirm_unchanged", "latest_return", "latest_returns", "prefill", "risk_entry",
           "risk_scores", "score_in", "submit_return"]
