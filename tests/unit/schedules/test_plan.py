"""Planning the job store from the calendar, ``schedule show``, and the jobs' edge cases."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR, RoundCalendar
from bot.calendar.runs import claim_run, finish_run
from bot.calendar.scheduling import calendar_for
from schedules import jobs
from schedules.plan import plan_periods, schedule_show
from storage.db import session_scope
from storage.models import AuditEvent, Framework, JobRun
from tests.fakeslack import FakeSlack
from tests.unit.schedules.support import GOVERNANCE, at, posted, posted_keys

LONDON = ZoneInfo("Europe/London")
Q2 = Period.parse("2024/25 Q2")
STEPS = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q2)}


def _audit(engine, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_jobs_are_stored_by_reference_with_plain_arguments(environment, engine) -> None:
    scheduler = environment.scheduler
    plan_periods(scheduler, engine, DEFAULT_CALENDAR, [Q2], now=STEPS["open_round"] - timedelta(1))
    stored = {job.id: job for job in scheduler.get_jobs()}

    remind = stored["remind:2-days-before:2024-25-Q2"]
    assert remind.func_ref == "schedules.jobs:remind"
    assert remind.args == ("2024/25 Q2", "2-days-before")
    assert stored["open_round:2024-25-Q2"].args == ("2024/25 Q2",)
    assert remind.next_run_time == STEPS["remind:2-days-before"]
    pickle.dumps(remind.__getstate__())  # what the job store keeps


def test_changed_rules_replace_the_planned_jobs(environment, engine) -> None:
    scheduler = environment.scheduler
    before = STEPS["open_round"] - timedelta(days=1)
    plan_periods(scheduler, engine, DEFAULT_CALENDAR, [Q2], now=before)
    fewer = RoundCalendar.from_rules({"reminders_before_deadline": [3], "prompt_time": "10:00"})
    plan_periods(scheduler, engine, fewer, [Q2], now=before)

    stored = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    assert sorted(stored) == sorted(step.id for step in fewer.plan(Q2))
    assert stored["open_round:2024-25-Q2"].hour == 10


def test_the_framework_rules_give_the_calendar(framework, engine) -> None:
    with session_scope(engine, write=True) as session:
        row = session.exec(select(Framework)).one()
        row.rules = {**row.rules, "calendar": {"deadline_after_quarter_end": 15}}
        session.add(row)
    assert calendar_for(engine).deadline(Q2) == RoundCalendar(
        deadline_after_quarter_end=15).deadline(Q2)


def test_schedule_show_lists_a_period_with_what_ran(engine) -> None:
    now = STEPS["remind:5-days-before"] + timedelta(hours=1)
    claim_run(engine, "open_round", Q2.label)
    finish_run(engine, "open_round", Q2.label)
    claim_run(engine, "remind:5-days-before", Q2.label)  # started, not finished

    rows = schedule_show(Q2, DEFAULT_CALENDAR, now=now, engine=engine)

    assert [(row.job, row.run_at.strftime("%a %d %b %Y %H:%M %Z"), row.status) for row in rows] == [
        ("open_round", "Mon 23 Sep 2024 09:00 BST", "done"),
        ("remind:5-days-before", "Mon 07 Oct 2024 09:00 BST", "started"),
        ("remind:2-days-before", "Thu 10 Oct 2024 09:00 BST", "planned"),
        ("remind:deadline-day", "Mon 14 Oct 2024 09:00 BST", "planned"),
        ("compile", "Mon 14 Oct 2024 17:00 BST", "planned"),
        ("escalate", "Tue 15 Oct 2024 09:00 BST", "planned"),
    ]
    assert rows[0].what == "open the round: prompt every SRO"
    assert rows[2].what == "remind outstanding SROs (2 working days before the deadline)"
    assert rows[0].as_dict()["run_at"] == "2024-09-23T09:00:00+01:00"


def test_schedule_show_without_a_period_shows_the_rounds_not_yet_over() -> None:
    # 10 October 2024: the 2024/25 Q2 round is running; Q3 and Q4 are ahead.
    rows = schedule_show(None, DEFAULT_CALENDAR, now=datetime(2024, 10, 10, 12, tzinfo=LONDON))
    assert sorted({row.period for row in rows}) == ["2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    assert all(row.status == "" for row in rows)
    # 1 December: the Q2 round is long over.
    rows = schedule_show(None, DEFAULT_CALENDAR, now=datetime(2024, 12, 1, tzinfo=LONDON))
    assert sorted({row.period for row in rows}) == ["2024/25 Q3", "2024/25 Q4"]


def test_no_framework_yet_leaves_the_opening_for_later(environment, engine, fake_slack) -> None:
    at(environment.scheduler, STEPS["open_round"])
    jobs.open_round(Q2.label)
    with session_scope(engine) as session:
        assert session.exec(select(JobRun)).all() == []
    assert fake_slack.calls("chat.postMessage") == []


def test_steps_of_a_round_never_opened_are_skipped(framework, environment, engine) -> None:
    at(environment.scheduler, STEPS["compile"])
    jobs.compile_report(Q2.label)
    jobs.escalate(Q2.label)
    done = _audit(engine, "job.done")
    assert [event.detail["outcome"] for event in done] == [
        "skipped: no round has been opened for 2024/25 Q2"] * 2


def test_after_downtime_a_reminder_superseded_by_a_later_one_is_skipped(
    framework, environment, engine, fake_slack: FakeSlack
) -> None:
    scheduler = environment.scheduler
    plan_periods(scheduler, engine, DEFAULT_CALENDAR, [Q2], now=STEPS["open_round"] - timedelta(1))
    at(scheduler, STEPS["open_round"])
    fake_slack.reset_calls()

    # Down from before the 5-days-before reminder until after the 2-days-before one.
    at(scheduler, STEPS["remind:2-days-before"] + timedelta(hours=1))
    messages = posted(fake_slack, engine)
    reminders = posted_keys(fake_slack, engine, "reminder")
    assert len(messages) == len(reminders) == 3  # one per outstanding SRO, once
    assert all(":2-days-before:" in key for key in reminders)
    skipped = [e.detail["outcome"] for e in _audit(engine, "job.done")
               if e.subject.startswith("remind:5-days-before")]
    assert skipped == ["skipped: remind:2-days-before is already due"]


def test_an_escalation_that_cannot_be_posted_is_reported(
    framework, environment, engine, fake_slack: FakeSlack, caplog
) -> None:
    scheduler = environment.scheduler
    at(scheduler, STEPS["open_round"])
    jobs.open_round(Q2.label)
    fake_slack.set_channel_error(GOVERNANCE, "is_archived")

    at(scheduler, STEPS["escalate"])
    jobs.escalate(Q2.label)

    failed = _audit(engine, "job.failed")
    assert [event.subject for event in failed] == ["escalate 2024/25 Q2"]
    assert "could not be posted to the governance channel" in failed[0].detail["error"]
    assert "is_archived" in failed[0].detail["error"]
    assert "scheduled job escalate for 2024/25 Q2 failed" in caplog.text
