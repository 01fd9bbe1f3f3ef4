"""Outcomes at closure on SQLite and PostgreSQL: versions, the newest counts, the rules, which
deliverables still need one, and the framework's state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.collection.outcomes import (
    OutcomeEntry,
    OutcomeError,
    OutcomeInvalid,
    latest_outcomes,
    missing_outcomes,
    record_outcome,
)
from bot.framework.example import load_example
from bot.framework.importer import import_framework
from bot.framework.lifecycle import (
    LifecycleError,
    frameworks,
    mark_closed,
    mark_closing,
)
from storage.db import session_scope
from storage.models import AuditEvent, Deliverable, Framework, FrameworkState

AT = datetime(2025, 5, 1, 9, tzinfo=UTC)
PLAN = ("theme,area,deliverable,sro_name,sro_title,sro_email\n"
        "Responsive,Access,Single point of access,Ann Lee,Director,ann@example.org\n")


@pytest.fixture
def world(any_engine: Engine, tmp_path: Path) -> dict[str, int]:
    plan = tmp_path / "thrive.csv"
    plan.write_text(PLAN, encoding="utf-8")
    with session_scope(any_engine, write=True) as session:
        load_example(session)
        import_framework(session, plan, framework_name="THRIVE")
        names = {f.id: f.name for f in session.exec(select(Framework))}
        return {f"{names[d.framework_id]}/{d.code}": d.id
                for d in session.exec(select(Deliverable))}


def record(engine: Engine, deliverable_id: int, outcome: str, target: str | None = None,
           reason: str | None = None, key: str | None = None):  # type: ignore[no-untyped-def]
    with session_scope(engine, write=True) as session:
        return record_outcome(session, deliverable_id=deliverable_id,
                              entry=OutcomeEntry(outcome, target, reason), actor="cli:test",
                              person_id=None, source="cli", key=key, at=AT)


def close_sutg(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        sutg = session.exec(select(Framework).where(Framework.name == "Step Up To Great")).one()
        assert mark_closing(session, sutg, 2024, by="cli:test")
        assert not mark_closing(session, sutg, 2024, by="cli:test")  # already: no change
        with pytest.raises(LifecycleError, match="already closing with 2024/25"):
            mark_closing(session, sutg, 2025, by="cli:test")


def test_outcomes_are_versions_and_the_newest_counts(any_engine: Engine,
                                                     world: dict[str, int]):
    go1 = world["Step Up To Great/GO-1"]
    with pytest.raises(OutcomeError, match="is not closing"):
        record(any_engine, go1, "achieved")
    close_sutg(any_engine)

    first = record(any_engine, go1, "carried", "THRIVE/R-1", key="k1")
    again = record(any_engine, go1, "carried", "THRIVE/R-1", key="k1")
    assert not first.repeated and again.repeated and again.outcome.version == 1
    record(any_engine, go1, "Stopped", reason="  Replaced nationally  ")
    with session_scope(any_engine) as session:
        [now] = latest_outcomes(session, [go1]).values()
        trail = session.exec(select(AuditEvent).where(AuditEvent.action == "outcome.set")).all()
    assert (now.kind, now.version, now.reason, now.target) == ("stopped", 2, "Replaced nationally",
                                                               None)
    assert first.outcome.sentence() == "Carried forward to THRIVE R-1"
    assert len(trail) == 2


@pytest.mark.parametrize(("entry", "errors"), [
    (("done", None, None), {"outcome"}),
    (("carried", None, None), {"target"}),
    (("merged", None, None), {"target"}),
    (("carried", "GO-2", None), {"target"}),  # the same framework: merged, not carried
    (("merged", "GO-1", None), {"target"}),  # itself
    (("stopped", None, None), {"reason"}),
    (("stopped", None, "x" * 3001), {"reason"}),
    (("achieved", None, "bad \x00 text"), {"reason"}),
])
def test_the_rules(any_engine: Engine, world: dict[str, int], entry: tuple, errors: set[str]):
    close_sutg(any_engine)
    with pytest.raises(OutcomeInvalid) as refused:
        record(any_engine, world["Step Up To Great/GO-1"], *entry)
    assert set(refused.value.errors) == errors


def test_missing_outcomes_and_the_framework_states(any_engine: Engine, world: dict[str, int]):
    close_sutg(any_engine)
    for code, deliverable_id in world.items():
        if code.startswith("Step Up To Great/") and code not in (
                "Step Up To Great/PC-1", "Step Up To Great/PC-2"):
            record(any_engine, deliverable_id, "achieved")
    with session_scope(any_engine, write=True) as session:
        sutg = session.exec(select(Framework).where(Framework.name == "Step Up To Great")).one()
        assert [code for code, _ in missing_outcomes(session, sutg.id)] == ["PC-1", "PC-2"]
        listed = {life.name: life for life in frameworks(session)}
        assert listed["Step Up To Great"].state == FrameworkState.closing
        assert listed["Step Up To Great"].final_year == "2024/25"
        assert listed["THRIVE"].state == FrameworkState.active
        mark_closed(session, sutg.id, by="U0LEAD", at=AT)
        assert {life.name: life.state for life in frameworks(session)}["Step Up To Great"] == (
            FrameworkState.closed)
    with pytest.raises(OutcomeError, match="is closed"):
        record(any_engine, world["Step Up To Great/PC-1"], "achieved")
