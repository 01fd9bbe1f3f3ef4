"""A bot that was down when a job was due runs it once when it comes back — never twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import time_machine
from apscheduler.executors.debug import DebugExecutor
from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR
from bot.calendar.runs import claim_run
from schedules import jobs
from schedules.plan import plan_periods, schedule_show
from schedules.scheduler import MISFIRE_GRACE, build_scheduler
from schedules.service import add_recurring_jobs
from storage.db import session_scope
from storage.models import JobRun
from tests.unit.schedules.support import SteppedScheduler, at, posted_keys

Q2 = Period.parse("2024/25 Q2")
OPENS = DEFAULT_CALENDAR.plan(Q2)[0].run_at  # Mon 23 Sep 2024 09:00


def _runs(engine, job: str = "open_round") -> list[JobRun]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return list(session.exec(select(JobRun).where(JobRun.job == job)).all())


def _prompts(fake, engine) -> list[str]:  # type: ignore[no-untyped-def]
    """The prompts (outbox keys) that reached Slack."""
    return posted_keys(fake, engine, "prompt")


def test_missed_job_runs_once_after_downtime_and_not_again_after_restart(
    framework, environment, fake_slack, engine
) -> None:
    scheduler = environment.scheduler
    at(scheduler, OPENS - timedelta(days=3))
    plan_periods(scheduler, engine, DEFAULT_CALENDAR, [Q2], now=OPENS - timedelta(days=3))

    # The bot is down over the opening; it comes back two days later.
    at(scheduler, OPENS + timedelta(days=2))
    assert len(_runs(engine)) == 1
    assert len(_prompts(fake_slack, engine)) == 4

    at(scheduler, OPENS + timedelta(days=2, minutes=5))
    scheduler.shutdown()

    # A restarted bot (new scheduler on the same database) plans again and runs nothing twice.
    again = build_scheduler(engine, executors={"default": DebugExecutor()},
                            scheduler_class=SteppedScheduler)
    environment.scheduler = again
    again.start()
    add_recurring_jobs(again, now=OPENS + timedelta(days=2, hours=1))
    at(again, OPENS + timedelta(days=2, hours=1))
    assert "open_round:2024-25-Q2" not in {job.id for job in again.get_jobs()}
    assert len(_runs(engine)) == 1
    assert len(_prompts(fake_slack, engine)) == 4


def test_a_job_missed_by_longer_than_the_grace_is_not_run(
    framework, environment, fake_slack, engine
) -> None:
    scheduler = environment.scheduler
    at(scheduler, OPENS - timedelta(days=3))
    plan_periods(scheduler, engine, DEFAULT_CALENDAR, [Q2], now=OPENS - timedelta(days=3))

    late = OPENS + MISFIRE_GRACE + timedelta(hours=1)
    at(scheduler, late)
    assert _runs(engine) == []
    assert _prompts(fake_slack, engine) == []
    rows = {row.job: row.status for row in schedule_show(Q2, DEFAULT_CALENDAR, now=late,
                                                           engine=engine)}
    assert rows["open_round"] == "missed"


def test_overlapping_schedulers_run_a_job_once(framework, environment, fake_slack, engine) -> None:
    """Two schedulers firing the same job at the same moment (e.g. during a leader hand-over)."""
    barrier = threading.Barrier(4)

    def fire() -> None:
        barrier.wait()
        jobs.open_round(Q2.label)

    with time_machine.travel(OPENS, tick=True), ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(fire) for _ in range(4)]:
            future.result()
    assert len(_runs(engine)) == 1
    assert len(_prompts(fake_slack, engine)) == 4


def test_claiming_a_run_succeeds_once_on_both_databases(any_engine) -> None:
    barrier = threading.Barrier(6)

    def claim() -> bool:
        barrier.wait()
        return claim_run(any_engine, "compile", Q2.label)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: claim(), range(6)))
    assert results.count(True) == 1
    assert not claim_run(any_engine, "compile", Q2.label)
    assert claim_run(any_engine, "compile", Q2.next().label)


def test_real_background_scheduler_catches_up_after_downtime(
    framework, environment, fake_slack, engine
) -> None:
    """The production scheduler class and thread pool, stopped over the job's time."""
    before = OPENS - timedelta(days=1)
    with time_machine.travel(before, tick=True):
        down = build_scheduler(engine)
        down.start(paused=True)
        plan_periods(down, engine, DEFAULT_CALENDAR, [Q2], now=before)
        down.shutdown()

    with time_machine.travel(OPENS + timedelta(days=2), tick=True):
        up = build_scheduler(engine)
        environment.scheduler = up
        up.start()
        try:
            deadline = time.monotonic() + 10
            while len(_prompts(fake_slack, engine)) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # room for a (wrong) second run to show up
        finally:
            up.shutdown()
    assert len(_runs(engine)) == 1
    assert len(_prompts(fake_slack, engine)) == 4
