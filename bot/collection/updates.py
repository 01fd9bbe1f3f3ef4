"""SRO updates: submit (versioned, never overwritten) and read back.

Every submission is a new ``Update`` row numbered by ``version`` in the order it arrived; the
one that counts is the newest *written* (``written_at``: when the person wrote it; ties by
version), so a message delivered late never replaces a newer one (``newest_first`` is that
order, for every reader). Call ``submit_update`` inside ``session_scope(engine, write=True)``:
on SQLite that takes the write lock before the version is read, and on PostgreSQL the
deliverable's row is locked first (``FOR UPDATE``). A version number or delivery taken meanwhile
all the same (a writer that does not lock) is found by the unique constraints: the row is
inserted ``ON CONFLICT DO NOTHING``, so no savepoint is needed to try the next version.

An update is only ever filed into a round that has been opened (or reopened by a lead) and is
not frozen: ``accepting_round`` decides that from storage, whatever period the channel named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, and_, func, literal
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.collection.dates import parse_date
from bot.collection.rules import Rules, check_update
from bot.framework.permissions import covering, is_actor, may_submit
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    PeriodRecord,
    Person,
    Rag,
    Role,
    Round,
    Source,
    Update,
    UpdateOnBehalf,
    utcnow,
)
from storage.repo import add_new, audit, find_period

VERSION_RETRIES = 10


class UpdateError(Exception):
    """An update that cannot be stored; ``str(error)`` is a message for the person."""


class NotPermitted(UpdateError):
    """The acting user is neither an SRO nor a delegate of the deliverable."""


class PeriodFrozen(UpdateError):
    """The period's round is frozen (its report approved); a governance lead must reopen it."""


class NoOpenRound(UpdateError):
    """No round has been opened for the period in the deliverable's framework (an earlier year,
    a later quarter): nothing may be filed into it."""


class DeliverableInactive(UpdateError):
    """The deliverable no longer exists or was retired from the framework."""


class RuleViolation(UpdateError):
    """The update breaks a governance rule; ``errors`` maps field → message
    (``bot.collection.rules``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass(frozen=True)
class SubmitResult:
    update: Update
    created: bool  # False when the idempotency key had been used (a Slack retry)
    previous_rag: Rag | None  # last quarter's rating, None if there was none
    deliverable: Deliverable
    co_owners_slack_ids: tuple[str, ...]  # other SROs/delegates to tell, acting user excluded
    replaced: Update | None = None  # the version this one supersedes in the same period
    # A version written earlier than the one that counts (a message delivered late): kept in the
    # history, but the newer one still counts.
    superseded: bool = False


@dataclass(frozen=True)
class EntryContext:
    """What a modal or a thread reply needs before an SRO enters an update."""

    deliverable: Deliverable
    rules: Rules
    previous_rag: Rag | None  # last quarter's rating
    latest: Update | None  # the version that counts in this period, to pre-fill the form
    frozen: bool
    closed: str | None = None  # why nothing can be saved for the period now (frozen, no round)
    last_version: int = 0  # the highest version number so far (the next save is one more)


def submit_update(
    session: Session,
    *,
    actor_slack_id: str = "",
    actor_person_id: int | None = None,
    deliverable_id: int,
    period: Period,
    rag: Rag | str,
    narrative: str,
    recovery_action: str | None = None,
    recovery_date: date | str | None = None,
    change_reason: str | None = None,
    source: Source,
    idempotency_key: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
    written_at: datetime | None = None,
) -> SubmitResult:
    """Store a new version of the deliverable's update for ``period``.

    The actor is ``actor_slack_id`` (a Slack user, from a signed payload) or, when given,
    ``actor_person_id`` (a person, from a signed web form link).

    Checked in this order: the actor may submit (else ``NotPermitted``; the refusal is
    audited and *committed* before raising, so call this at the start of the unit of work),
    an already used ``idempotency_key`` returns the stored update with ``created=False``,
    the deliverable is active (``DeliverableInactive``), the period has a round that accepts
    updates (``accepting_round``: ``NoOpenRound``, ``PeriodFrozen``), the framework's rules
    hold (``RuleViolation``, which includes text that cannot be stored).

    ``now`` (timezone-aware) is stored as ``submitted_at``: pass the app's clock
    (``AppContext.now()``) so tests and replays record the time the app believes it is; it
    defaults to the real time. A naive ``now`` raises ``ValueError``. ``written_at`` is when
    the person wrote it (a message's own time), never later than ``now``; default ``now``.
    """
    submitted_at = _aware_utc(now) if now is not None else utcnow()
    written = min(_aware_utc(written_at), submitted_at) if written_at else submitted_at
    owners = _owners(session, deliverable_id)
    if not may_submit(session, slack_id=actor_slack_id, person_id=actor_person_id,
                      deliverable_id=deliverable_id, on=today,
                      owners=[person for person, _role in owners]):
        audit(session=session, actor=_actor_label(actor_slack_id, actor_person_id),
              action="update.refused",
              subject=f"deliverable:{deliverable_id}", period=period.label,
              reason="not an SRO or delegate", source=str(source))
        session.commit()
        raise NotPermitted(
            "You are not an SRO or delegate of this deliverable, so you cannot update it. "
            "If that is wrong, ask a governance lead to correct the framework."
        )

    locked = _locked(session, deliverable_id, period, idempotency_key)
    if locked.stored_id is not None:  # this delivery was stored before: the same answer again
        existing = session.get(Update, locked.stored_id)
        if existing is not None:
            return _result(session, existing, created=False, actor_slack_id=actor_slack_id)
    deliverable = locked.deliverable
    if deliverable is None or not deliverable.active:
        raise DeliverableInactive("This deliverable is no longer part of the framework.")

    period_id = _accepting(locked.round, period).period_id

    context_rules = Rules.from_config(locked.framework.rules if locked.framework else None)
    previous_rag = Rag(locked.previous_rag) if locked.previous_rag else None
    errors = check_update(
        context_rules, rag=rag, previous_rag=previous_rag, narrative=narrative,
        recovery_action=recovery_action, recovery_date=recovery_date,
        change_reason=change_reason, today=today,
    )
    if errors:
        raise RuleViolation(errors)

    submitter = _owner_person(owners, actor_slack_id, actor_person_id)
    cover = None
    if submitter is None and today is not None:  # not an owner: a cover for an absent SRO
        cover = covering(session, deliverable_id=deliverable_id, slack_id=actor_slack_id,
                         person_id=actor_person_id, on=today)
        submitter = session.get(Person, cover.cover_id) if cover and cover.cover_id else None
    if actor_person_id is not None:  # the web form: the person's Slack id, if they have one
        actor_slack_id = submitter.slack_id or "" if submitter else ""
    fields: dict[str, Any] = dict(
        deliverable_id=deliverable_id, period_id=period_id, rag=Rag(str(rag).strip().lower()),
        narrative=narrative.strip(), recovery_action=_clean(recovery_action),
        recovery_date=_as_date(recovery_date), change_reason=_clean(change_reason),
        submitted_by_id=submitter.id if submitter else None,
        submitted_by_slack_id=actor_slack_id or None, source=Source(source),
        idempotency_key=idempotency_key or None, submitted_at=submitted_at, written_at=written,
    )
    for _ in range(VERSION_RETRIES):
        replaced, last_version = _newest_and_last_version(session, deliverable_id, period_id)
        update = add_new(session, Update, unique=None,
                         values={**fields, "version": last_version + 1})
        if update is not None:
            break
        # Lost a race: the same delivery stored by another worker, or a version taken.
        if idempotency_key:
            existing = _by_idempotency_key(session, idempotency_key)
            if existing is not None:
                return _result(session, existing, created=False, actor_slack_id=actor_slack_id)
    else:
        raise UpdateError("Too many people saved this update at once; please submit it again.")

    if cover is not None:
        session.add(UpdateOnBehalf(update_id=update.id or 0, on_behalf_of_id=cover.person_id,
                                   absence_id=cover.id))
        session.flush()
    superseded = replaced is not None and _newest_key(replaced) > _newest_key(update)
    if superseded:
        replaced = None  # written before the version that counts: it replaces nothing
    audit(session=session, actor=_actor_label(actor_slack_id, actor_person_id),
          action="update.submitted",
          subject=f"deliverable:{deliverable_id}", period=period.label, update_id=update.id,
          version=update.version, rag=update.rag.value, source=update.source.value,
          previous_rag=previous_rag.value if previous_rag else None,
          on_behalf_of=cover.person_key if cover else None)
    return _result(session, update, created=True, actor_slack_id=actor_slack_id,
                   previous_rag=previous_rag, replaced=replaced, superseded=superseded,
                   owners=owners)


def accepting_round(session: Session, framework_id: int, period: Period) -> Round:
    """The round an update for ``period`` is filed into: the one opened (or reopened by a
    governance lead) for the framework and period, and not frozen. Decided here from storage,
    whatever period a form's metadata or a channel named; reads only (no period row is made).

    Raises ``NoOpenRound`` when the period has no round, ``PeriodFrozen`` when it is frozen or
    its report approved. (A *closed* round still takes late updates until it is frozen.)"""
    round_ = session.exec(select(Round).where(_round_of(framework_id, period))).first()
    return _accepting(round_, period)


def _round_of(framework_id: Any, period: Period) -> Any:
    """The criteria of the framework's round for ``period`` (one at most: both are unique)."""
    period_id = select(PeriodRecord.id).where(
        PeriodRecord.fy == period.fy, PeriodRecord.quarter == period.quarter).scalar_subquery()
    return and_(Round.framework_id == framework_id, Round.period_id == period_id)


def _accepting(round_: Round | None, period: Period) -> Round:
    """``round_`` if it accepts updates for ``period`` (``accepting_round``'s rule)."""
    if round_ is None:
        raise NoOpenRound(
            f"There is no open round for {period.label}, so updates for it cannot be saved. "
            "Use the buttons on your latest prompt message or in Ragtime's Home tab.")
    if round_.frozen or round_.approved_at is not None:
        state = "its report has been approved" if round_.approved_at else "it has been frozen"
        raise PeriodFrozen(
            f"Updates for {period.label} can no longer be changed: {state}. "
            "A governance lead must reopen the round first."
        )
    return round_


def entry_context(session: Session, deliverable_id: int, period: Period) -> EntryContext | None:
    """The rules, last quarter's rating and current version for an update about to be entered;
    ``None`` if the deliverable does not exist. ``closed`` says why nothing can be saved for
    ``period`` now (``accepting_round``'s refusal), else None."""
    deliverable = session.get(Deliverable, deliverable_id)
    if deliverable is None:
        return None
    previous = previous_period_update(session, deliverable_id, period)
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    try:
        accepting_round(session, deliverable.framework_id, period)
        closed: UpdateError | None = None
    except UpdateError as refusal:
        closed = refusal
    latest, last_version = (_newest_and_last_version(session, deliverable_id, record.id or 0)
                            if record else (None, 0))
    framework = session.get(Framework, deliverable.framework_id)
    return EntryContext(
        deliverable=deliverable,
        rules=Rules.from_config(framework.rules if framework else None),
        previous_rag=Rag(previous.rag) if previous else None,
        latest=latest,
        frozen=isinstance(closed, PeriodFrozen),
        closed=str(closed) if closed else None,
        last_version=last_version,
    )


# ------------------------------------------------------------------------------ reading

def newest_first() -> tuple[Any, ...]:
    """The order of a deliverable's versions in a period, the one that counts first: the newest
    written, then the latest to arrive. Every reader of "the latest update" uses this."""
    return col(Update.written_at).desc(), col(Update.version).desc()


def counting_ids(*criteria: Any) -> Select[Any]:
    """The ids of the version that counts for each (deliverable, period) among the updates
    matching ``criteria`` (``newest_first``; a window query, the same on SQLite and PostgreSQL):
    use as ``col(Update.id).in_(counting_ids(...))``."""
    ranked = (
        select(col(Update.id).label("id"), func.row_number().over(
            partition_by=(Update.deliverable_id, Update.period_id),
            order_by=newest_first()).label("place"))
        .where(*criteria)
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.place == 1)


def latest_update(session: Session, deliverable_id: int, period: Period) -> Update | None:
    """The version that counts: the newest written of the deliverable in the period."""
    return session.exec(_latest(select(Update), deliverable_id, period)).first()


def _latest(query: Select[Any], deliverable_id: Any, period: Period) -> Select[Any]:
    """``query`` (of ``Update`` columns) narrowed to ``latest_update``'s row."""
    return (query.join(PeriodRecord, PeriodRecord.id == Update.period_id)
            .where(Update.deliverable_id == deliverable_id, PeriodRecord.fy == period.fy,
                   PeriodRecord.quarter == period.quarter)
            .order_by(*newest_first())
            .limit(1))


def latest_updates(
    session: Session, period: Period, *, deliverable_ids: list[int] | None = None
) -> dict[int, Update]:
    """Deliverable id → its latest update in ``period`` (absent when outstanding)."""
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return {}
    criteria: list[Any] = [Update.period_id == record.id]
    if deliverable_ids is not None:
        criteria.append(col(Update.deliverable_id).in_(deliverable_ids))
    rows = session.exec(select(Update).where(col(Update.id).in_(counting_ids(*criteria)))).all()
    return {update.deliverable_id: update for update in rows}


def previous_period_update(
    session: Session, deliverable_id: int, period: Period
) -> Update | None:
    """The latest update of the quarter before ``period`` (what a change is measured from)."""
    return latest_update(session, deliverable_id, period.previous())


def update_history(
    session: Session, deliverable_id: int, period: Period | None = None
) -> list[Update]:
    """Every version, in the order written with the one that counts last (all periods unless
    ``period`` is given)."""
    query = (
        select(Update)
        .join(PeriodRecord, PeriodRecord.id == Update.period_id)
        .where(Update.deliverable_id == deliverable_id)
        .order_by(PeriodRecord.fy, PeriodRecord.quarter, Update.written_at, Update.version)
    )
    if period is not None:
        query = query.where(PeriodRecord.fy == period.fy, PeriodRecord.quarter == period.quarter)
    return list(session.exec(query).all())


# ------------------------------------------------------------------------------ helpers

def _by_idempotency_key(session: Session, key: str) -> Update | None:
    return session.exec(select(Update).where(Update.idempotency_key == key)).first()


def _newest_and_last_version(
    session: Session, deliverable_id: int, period_id: int
) -> tuple[Update | None, int]:
    """The version that counts (``latest_update``) and the highest version number given so far
    (versions number arrivals), in one statement."""
    highest = func.max(Update.version).over()
    row = session.exec(
        select(Update, highest)
        .where(Update.deliverable_id == deliverable_id, Update.period_id == period_id)
        .order_by(*newest_first())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, 0)


def _newest_key(update: Update) -> tuple[datetime, int]:
    written = update.written_at
    if written.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        written = written.replace(tzinfo=UTC)
    return written, update.version


@dataclass(frozen=True)
class _Locked:
    deliverable: Deliverable | None
    framework: Framework | None = None
    round: Round | None = None  # the framework's round for the period, accepting or not
    stored_id: int | None = None  # the update a retried delivery stored before
    previous_rag: str | None = None  # last quarter's rating (``previous_period_update``'s)


def _locked(
    session: Session, deliverable_id: int, period: Period, idempotency_key: str | None
) -> _Locked:
    """The deliverable, read fresh and locked (``FOR UPDATE`` on PostgreSQL, so submitters of
    one deliverable take turns; SQLite's write transaction already holds the database), with
    what a submission checks next, in one statement (each statement is a round trip)."""
    stored = (select(Update.id).where(Update.idempotency_key == idempotency_key)
              .scalar_subquery() if idempotency_key else literal(None, Integer))
    previous = _latest(select(Update.rag), Deliverable.id, period.previous()).scalar_subquery()
    row = session.exec(
        select(Deliverable, Framework, Round, stored, previous)
        .join(Framework, Framework.id == Deliverable.framework_id)
        .outerjoin(Round, _round_of(Deliverable.framework_id, period))
        .where(Deliverable.id == deliverable_id)
        .with_for_update(of=Deliverable)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return _Locked(deliverable=None)
    return _Locked(deliverable=row[0], framework=row[1], round=row[2], stored_id=row[3],
                   previous_rag=row[4])


def _owners(session: Session, deliverable_id: int) -> list[tuple[Person, Role]]:
    rows = session.exec(
        select(Person, DeliverableOwner.role)
        .join(DeliverableOwner, DeliverableOwner.person_id == Person.id)
        .where(DeliverableOwner.deliverable_id == deliverable_id)
        .order_by(DeliverableOwner.position, DeliverableOwner.id)
    ).all()
    owners = [(person, Role(role)) for person, role in rows]
    return sorted(owners, key=lambda owner: owner[1] != Role.sro)  # SROs first, stable


def _owner_person(
    owners: list[tuple[Person, Role]], slack_id: str, person_id: int | None = None
) -> Person | None:
    for person, _role in owners:
        if is_actor(person, slack_id=slack_id, person_id=person_id):
            return person
    return None


def _actor_label(slack_id: str, person_id: int | None) -> str:
    """Who acted, for the audit trail: the Slack user, else the person (the web form)."""
    return slack_id or (f"person:{person_id}" if person_id is not None else "?")


def _result(
    session: Session,
    update: Update,
    *,
    created: bool,
    actor_slack_id: str,
    previous_rag: Rag | None = None,
    replaced: Update | None = None,
    superseded: bool = False,
    owners: list[tuple[Person, Role]] | None = None,
) -> SubmitResult:
    deliverable = session.get(Deliverable, update.deliverable_id)
    if not created:
        record = session.get(PeriodRecord, update.period_id)
        if record is not None:
            previous = previous_period_update(
                session, update.deliverable_id, Period(record.fy, record.quarter))
            previous_rag = Rag(previous.rag) if previous else None
    co_owners: list[str] = []
    for person, _role in owners if owners is not None else _owners(session, update.deliverable_id):
        if person.slack_id and person.slack_id != actor_slack_id and (
                person.slack_id not in co_owners):
            co_owners.append(person.slack_id)
    return SubmitResult(
        update=update, created=created, previous_rag=previous_rag,
        deliverable=deliverable,
        co_owners_slack_ids=tuple(co_owners), replaced=replaced, superseded=superseded,
    )


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"now={moment!r} has no timezone; pass an aware datetime (UTC)")
    return moment.astimezone(UTC)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value)
