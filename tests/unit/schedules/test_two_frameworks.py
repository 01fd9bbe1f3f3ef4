"""Two strategies side by side, driven by the real scheduler under a moved clock: the old one's
closure round (its final quarter, 2024/25 Q4) and the new one's first quarter (2025/26 Q1), each
on its own calendar; each step runs once for each framework and prompts only its own SROs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.framework_calendars import framework_calendars
from bot.calendar.periods import Period
from bot.framework.importer import import_framework
from bot.framework.lifecycle import mark_closing
from schedules.registry import JobEnvironment
from schedules.service import add_recurring_jobs
from storage.db import session_scope
from storage.models import Framework, JobRun, OutboxMessage, PeriodRecord, Round
from tests.fakeslack import FakeSlack
from tests.unit.schedules.support import at

LONDON = ZoneInfo("Europe/London")
Q4, NEXT_Q1 = Period(2024, 4), Period(2025, 1)
THRIVE_YAML = """
name: THRIVE
organisation: Example NHS Trust
rules:
  calendar:
    prompt_time: "11:00"
    deadline_after_quarter_end: 15
people:
  - {id: smurphy, name: Sharon Murphy, title: Director of Finance, slack_id: U0SHARON}
themes:
  - name: Responsive
    deliverables:
      - {area: Access, title: Single point of access, sro: smurphy}
"""


def close_the_first(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        sutg = session.exec(select(Framework).where(Framework.name == "Step Up To Great")).one()
        mark_closing(session, sutg, 2024, by="test")


def load_thrive(engine: Engine, folder: Path) -> None:
    path = folder / "thrive.yaml"
    path.write_text(THRIVE_YAML, encoding="utf-8")
    with session_scope(engine, write=True) as session:
        import_framework(session, path)


def rounds(engine: Engine) -> set[tuple[str, str]]:
    with session_scope(engine) as session:
        names = {f.id: f.name for f in session.exec(select(Framework))}
        labels = {p.id: p.label for p in session.exec(select(PeriodRecord))}
        return {(names[r.framework_id], labels[r.period_id])
                for r in session.exec(select(Round))}


def test_each_framework_runs_its_own_rounds_on_its_own_calendar(
        framework, environment: JobEnvironment, fake_slack: FakeSlack, tmp_path: Path) -> None:
    engine = environment.ctx.engine
    close_the_first(engine)
    load_thrive(engine, tmp_path)
    calendars = {c.name: c for c in framework_calendars(engine)}
    assert (calendars["Step Up To Great"].last, calendars["THRIVE"].first) == (Q4, NEXT_Q1)
    assert (calendars["Step Up To Great"].scope, calendars["THRIVE"].scope) == ("", "@2")

    scheduler = environment.scheduler
    start = datetime(2025, 3, 20, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(scheduler, now=start)
    at(scheduler, start)
    ids = {job.id for job in scheduler.get_jobs()}
    # SUTG: only its final quarter; THRIVE: from its first quarter on, with its own name.
    assert "open_round:2024-25-Q4" in ids and "open_round@2:2025-26-Q1" in ids
    assert "open_round:2025-26-Q1" not in ids and "open_round@2:2024-25-Q4" not in ids
    sutg_q4 = {step.job: step.run_at for step in calendars["Step Up To Great"].calendar.plan(Q4)}
    thrive_q1 = {step.job: step.run_at for step in calendars["THRIVE"].calendar.plan(NEXT_Q1)}
    assert thrive_q1["open_round"].hour == 11 and sutg_q4["open_round"].hour != 11
    stored = {job.id: job for job in scheduler.get_jobs()}
    assert stored["open_round:2024-25-Q4"].args == ("2024/25 Q4", "1")
    assert stored["open_round@2:2025-26-Q1"].args == ("2025/26 Q1", "2")

    at(scheduler, sutg_q4["open_round"] + timedelta(minutes=1))
    assert rounds(engine) == {("Step Up To Great", "2024/25 Q4")}
    at(scheduler, thrive_q1["open_round"] + timedelta(minutes=1))  # a later day: plan_ahead too
    assert rounds(engine) == {("Step Up To Great", "2024/25 Q4"), ("THRIVE", "2025/26 Q1")}

    with session_scope(engine) as session:
        prompts = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "prompt")).all()
        by_period = sorted((p.payload["period"], p.payload["title"][:20]) for p in prompts)
        runs = sorted((run.job, run.period_label) for run in session.exec(select(JobRun))
                      if run.job.startswith("open_round"))
    assert by_period == [("2024/25 Q4", "Embed the patient sa"),
                         ("2024/25 Q4", "Reduce waits for com"),
                         ("2024/25 Q4", "Reduce waits for com"),
                         ("2024/25 Q4", "Review and implement"),
                         ("2025/26 Q1", "Single point of acce")]
    assert runs == [("open_round", "2024/25 Q4"), ("open_round@2", "2025/26 Q1")]
    # THRIVE's deadline is its own (15 working days), not SUTG's.
    with session_scope(engine) as session:
        deadlines = {r.framework_id: r.deadline for r in session.exec(select(Round))}
    assert deadlines[2] == calendars["THRIVE"].calendar.deadline(NEXT_Q1)
    assert deadlines[1] == calendars["Step Up To Great"].calendar.deadline(Q4)
    assert deadlines[2] != calendars["Step Up To Great"].calendar.deadline(NEXT_Q1)
