"""Which framework a period means when several are loaded: the only one with a round or
updates in it; several with one ask; none with one is the old "name one" question."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.framework.choice import FrameworkChoiceError, choose_framework
from bot.framework.example import load_example
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import Deliverable, Framework, Rag, Round, Source, Update

Q2, Q3, Q4 = Period(2024, 2), Period(2024, 3), Period(2024, 4)
PLAN = ("theme,area,deliverable,sro_name,sro_title,sro_email\n"
        "Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org\n")


@pytest.fixture
def two(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """The example (with its imported 2024/25 Q2 updates) beside 'Our Plan'."""
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN, encoding="utf-8")
    with session_scope(engine, write=True) as session:
        load_example(session)
        import_framework(session, plan, framework_name="Our Plan")
        return {f.name: f.id for f in session.exec(select(Framework))}


def chosen(engine: Engine, period: Period) -> str:
    with session_scope(engine) as session:
        return choose_framework(session, period=period).name


def test_the_only_framework_with_a_round_or_updates_in_the_period_is_meant(
        engine: Engine, two: dict[str, int]):
    assert chosen(engine, Q2) == "Step Up To Great"  # its imported updates, no round
    with session_scope(engine, write=True) as session:
        session.add(Round(framework_id=two["Our Plan"], period_id=stored_period(session, Q4).id))
    assert chosen(engine, Q4) == "Our Plan"
    with pytest.raises(FrameworkChoiceError, match="2 frameworks are loaded"):
        chosen(engine, Q3)  # nobody has anything in Q3: name one


def test_several_with_something_in_the_period_ask(engine: Engine, two: dict[str, int],
                                                 tmp_path: Path):
    third = tmp_path / "third.csv"
    third.write_text(PLAN, encoding="utf-8")
    with session_scope(engine, write=True) as session:
        import_framework(session, third, framework_name="Third Plan")  # nothing in Q2
    with session_scope(engine, write=True) as session:
        wards = session.exec(select(Deliverable).where(
            Deliverable.framework_id == two["Our Plan"])).one()
        session.add(Update(deliverable_id=wards.id, period_id=stored_period(session, Q2).id,
                           rag=Rag.red, narrative="Behind.", source=Source.imported,
                           submitted_at=datetime(2024, 10, 1, tzinfo=UTC)))
    with pytest.raises(FrameworkChoiceError, match=r"2 frameworks report on 2024/25 Q2 "
                                                   r"\('Step Up To Great', 'Our Plan'\); "
                                                   r"name one with --framework NAME"):
        chosen(engine, Q2)
    with session_scope(engine) as session:  # a name always decides
        assert choose_framework(session, "our plan", period=Q2).name == "Our Plan"
