"""The round's state alone (``round_summary``) and the whole round (``round_status``): the same
answers, and a fixed amount of database work whatever the framework's size."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.collection.progress import round_status
from bot.collection.rounds import (
    RoundError,
    RoundSummary,
    close_round,
    freeze_round,
    open_round,
    reopen_round,
    round_summary,
)
from bot.collection.updates import submit_update
from storage.db import session_scope
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Person,
    Rag,
    Role,
    RoundStatus,
    Source,
    Theme,
    Update,
)
from tests.support.collection_world import DELEGATE, Q2, SHARON, World, build_world
from tests.support.queries import watching

TODAY = date(2024, 10, 1)


def _both(engine: Engine) -> RoundSummary:
    """The summary, checked against the full status's own view of the round."""
    with session_scope(engine) as s:
        summary = round_summary(s, Q2)
        view = round_status(s, Q2)
    assert (summary.period, summary.framework_id, summary.opened, summary.status,
            summary.deadline, summary.frozen) == (
        view.period, view.framework_id, view.opened, view.status, view.deadline, view.frozen)
    return summary


def test_the_summary_says_what_the_full_status_says_at_every_stage(any_engine):
    with session_scope(any_engine) as s, pytest.raises(RoundError, match="No framework"):
        round_summary(s, Q2)
    build_world(any_engine)

    planned = _both(any_engine)
    assert (planned.opened, planned.status, planned.deadline) == (False, None, date(2024, 10, 14))
    with session_scope(any_engine, write=True) as s:
        open_round(s, period=Q2, opened_by="U0LEAD", deadline=date(2024, 10, 21))
    assert (_both(any_engine).status, _both(any_engine).deadline) == (
        RoundStatus.open, date(2024, 10, 21))
    with session_scope(any_engine, write=True) as s:
        freeze_round(s, Q2, by="U0LEAD")
    assert _both(any_engine).frozen
    with session_scope(any_engine, write=True) as s:
        reopen_round(s, Q2, by="U0LEAD")
        close_round(s, Q2, by="U0LEAD")
    closed = _both(any_engine)
    assert (closed.status, closed.frozen) == (RoundStatus.closed, False)


def _grow(engine: Engine, world: World, count: int) -> None:
    """Add ``count`` deliverables (an SRO and a delegate each), a third of them answered."""
    with session_scope(engine, write=True) as s:
        theme = s.exec(select(Theme).where(Theme.framework_id == world.framework_id)).first()
        assert theme is not None
        added = [Deliverable(framework_id=world.framework_id, theme_id=theme.id, ref=f"extra-{n}",
                             number=str(100 + n), area="Digital", title=f"Extra deliverable {n}",
                             position=100 + n) for n in range(count)]
        s.add_all(added)
        s.flush()
        for item in added:
            s.add(DeliverableOwner(deliverable_id=item.id, person_id=world.people["smurphy"],
                                   role=Role.sro, position=0))
            s.add(DeliverableOwner(deliverable_id=item.id, person_id=world.people["delegate"],
                                   role=Role.delegate, position=1))
        ids = [item.id for item in added]
    for deliverable_id in ids[::3]:
        with session_scope(engine, write=True) as s:
            submit_update(s, actor_slack_id=SHARON, deliverable_id=deliverable_id, period=Q2,
                          rag=Rag.green, narrative="On track.", source=Source.modal, today=TODAY)


def test_the_whole_round_takes_the_same_queries_and_no_orm_objects_per_row(any_engine):
    world = build_world(any_engine)
    with session_scope(any_engine, write=True) as s:
        open_round(s, period=Q2, opened_by="U0LEAD")

    def status() -> tuple[int, int, int]:
        with (watching(any_engine, Deliverable, DeliverableOwner, Person) as seen,
              session_scope(any_engine) as s):
            view = round_status(s, Q2)
        assert not seen.loaded, seen.loaded  # plain rows for deliverables and owners
        return seen.count, view.total, view.answered_count

    small_queries, small_total, _ = status()
    _grow(any_engine, world, 30)
    big_queries, big_total, answered = status()

    assert (small_total, big_total, answered) == (4, 34, 10)
    assert big_queries == small_queries <= 8


def test_the_summary_reads_no_deliverables(any_engine):
    world = build_world(any_engine, rounds=(Q2,))
    _grow(any_engine, world, 6)
    with (watching(any_engine, Deliverable, DeliverableOwner, Person, Update) as seen,
          session_scope(any_engine) as s):
        summary = round_summary(s, Q2)
    assert summary.opened is True
    assert not seen.loaded and seen.count <= 4


def test_the_whole_round_still_lists_owners_in_order(engine):
    world = build_world(engine)
    with session_scope(engine) as s:
        view = round_status(s, Q2)
    policy = next(item for item in view.outstanding if item.id == world.access_policy)
    research = next(item for item in view.outstanding if item.id == world.research)
    assert [o.slack_id for o in policy.sros] == [SHARON]
    assert [o.slack_id for o in policy.delegates] == [DELEGATE]
    assert [o.name for o in research.sros] == ["Bhanu Chadalavada", "James Mullins"]
    assert [item.id for item in view.outstanding] == [
        world.access_policy, world.access_sops, world.research, world.wellbeing]
