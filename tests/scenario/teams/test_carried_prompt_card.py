"""A deliverable carried from the old strategy, prompted in Teams in its first quarter in the new
one (on SQLite and PostgreSQL): its prompt card, which is also its update form, shows the last
update it had in the old framework, as typed (a TextRun, never Markdown), instead of "Last
quarter: No update"; a deliverable carried from nothing shows last quarter as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.collection.flows import open_round_and_prompt
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import Deliverable, Rag, Source, Update
from tests.scenario.teams.test_teams_round import SHARON, prompt_for
from tests.support.teams_world import TeamsWorld, texts

TYPED = "Awareness plan **slipping** to May <b>again</b> & [see](http://x)"
THRIVE_CSV = (
    "theme,area,deliverable,sro_name,sro_title,sro_email,carried_from\n"
    "Responsive,Access,Single point of access for every service,Sharon Murphy,"
    "Director of Finance,sharon.murphy@example.nhs.uk,Step Up To Great/GO-1\n"
    "Responsive,Access,Digital front door,Sharon Murphy,Director of Finance,"
    "sharon.murphy@example.nhs.uk,\n"
)


def test_the_carried_prompt_card_shows_the_last_update_in_the_old_strategy(
        teams_world: TeamsWorld, tmp_path: Path):
    world = teams_world
    path = tmp_path / "thrive.csv"
    path.write_text(THRIVE_CSV, encoding="utf-8")
    with session_scope(world.ctx.engine, write=True) as session:
        import_framework(session, path, framework_name="THRIVE")
        go1 = session.exec(select(Deliverable).where(Deliverable.code == "GO-1")).one()
        session.add(Update(deliverable_id=go1.id or 0,
                           period_id=stored_period(session, Period(2024, 4)).id,
                           rag=Rag.amber, narrative=TYPED,
                           submitted_at=datetime(2025, 4, 10, 9, tzinfo=UTC),
                           source=Source.imported))
    world.install(SHARON)
    world.settle()

    open_round_and_prompt(world.ctx, Period(2025, 1), opened_by="governance.lead@example.nhs.uk",
                          framework="THRIVE")
    world.settle()
    carried = texts(prompt_for(world, SHARON, "R-1"))
    assert "Carried from Step Up To Great GO-1: its last update there (2024/25 Q4)" in carried
    assert any(text.startswith("Rating there: Amber · Deadline: ") for text in carried)
    assert TYPED in carried  # the narrative as typed, in a TextRun
    assert not any(text.startswith("Last quarter") for text in carried)
    fresh = texts(prompt_for(world, SHARON, "R-2"))
    assert any(text.startswith("Last quarter: No update") for text in fresh), fresh
    assert not any("Carried from" in text for text in fresh)
