"""A whole round driven by the real scheduler under a moved clock, against a real SQLite file and
the fake Slack, wired as in production: open → prompts → reminders only to the outstanding →
draft report → escalation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR
from bot.collection.updates import submit_update
from schedules.registry import JobEnvironment
from schedules.service import add_recurring_jobs
from storage.db import session_scope
from storage.models import AuditEvent, Deliverable, JobRun, Person, Source
from tests.fakeslack import FakeSlack
from tests.unit.schedules.support import GOVERNANCE, at, posted

LONDON = ZoneInfo("Europe/London")
Q2 = Period.parse("2024/25 Q2")


def _posts(fake: FakeSlack, env: JobEnvironment) -> list[tuple[str, str]]:
    """(channel, outbox key or text) of every message that reached Slack, in order."""
    return posted(fake, env.ctx.engine)


def _deliverable(env: JobEnvironment, title_start: str) -> int:
    with session_scope(env.ctx.engine) as session:
        return next(d.id for d in session.exec(select(Deliverable)).all()
                    if d.title.startswith(title_start))


def _submit(env: JobEnvironment, slack_id: str, deliverable_id: int) -> None:
    with session_scope(env.ctx.engine, write=True) as session:
        submit_update(session, actor_slack_id=slack_id, deliverable_id=deliverable_id,
                      period=Q2, rag="green", narrative="On track.", source=Source.cli)


def test_a_whole_round_runs_itself(framework, environment, fake_slack) -> None:
    scheduler = environment.scheduler
    plan = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q2)}
    start = datetime(2024, 9, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(scheduler, now=start)

    at(scheduler, start)  # plan_ahead: this round and the next are in the job store
    ids = {job.id for job in scheduler.get_jobs()}
    assert {"open_round:2024-25-Q2", "escalate:2024-25-Q2", "open_round:2024-25-Q3"} <= ids
    assert not any(job_id.endswith("2024-25-Q1") for job_id in ids)  # long over

    at(scheduler, plan["open_round"] + timedelta(minutes=1))
    prompts = _posts(fake_slack, environment)
    # Every SRO of every deliverable, joint SROs each: Anita has two deliverables.
    assert sorted(channel for channel, _ in prompts) == ["D0ANITA", "D0ANITA", "D0JOE", "D0SHARON"]
    assert all(key.startswith("prompt:2024-25-Q2:") for _, key in prompts)
    assert len({key for _, key in prompts}) == 4

    # Sharon answers; Joe answers the deliverable he shares with Anita; Anita's own is left.
    _submit(environment, "U0SHARON", _deliverable(environment, "Review"))
    _submit(environment, "U0JOE", _deliverable(environment, "Reduce waits"))
    fake_slack.reset_calls()

    for stage in ("5-days-before", "2-days-before", "deadline-day"):
        at(scheduler, plan[f"remind:{stage}"] + timedelta(minutes=1))
    assert _posts(fake_slack, environment) == [
        ("D0ANITA", f"reminder:2024-25-Q2:{stage}:{_person_id(environment, 'apatel')}")
        for stage in ("5-days-before", "2-days-before", "deadline-day")
    ]
    fake_slack.reset_calls()

    at(scheduler, plan["compile"] + timedelta(minutes=1))
    # One draft report, for this period, went to the governance channel.
    uploads = fake_slack.uploaded_files()
    assert uploads and all(upload.channel == GOVERNANCE for upload in uploads)
    markdown = [upload for upload in uploads if upload.filename.endswith(".md")]
    assert len(markdown) == 1 and markdown[0].filename.endswith("2024-25-Q2.md")
    assert b"Embed the patient safety incident framework" in (markdown[0].data or b"")
    assert [outcome.startswith("draft report posted") for outcome in
            _outcomes(environment, "compile 2024/25 Q2")] == [True]
    fake_slack.reset_calls()

    at(scheduler, plan["escalate"] + timedelta(minutes=1))
    assert _posts(fake_slack, environment) == [(GOVERNANCE, "escalation:2024-25-Q2:deadline")]

    with session_scope(environment.ctx.engine) as session:
        runs = session.exec(select(JobRun).where(JobRun.period_label == Q2.label)).all()
        failures = session.exec(select(AuditEvent).where(AuditEvent.action == "job.failed")).all()
    assert sorted(run.job for run in runs) == sorted(plan)
    assert all(run.finished_at is not None for run in runs)
    assert failures == []

    # Going over the same ground again sends nothing: every step ran once.
    fake_slack.reset_calls()
    at(scheduler, plan["escalate"] + timedelta(hours=2))
    assert _posts(fake_slack, environment) == []


def test_next_quarters_jobs_appear_on_their_own(framework, environment) -> None:
    scheduler = environment.scheduler
    start = datetime(2024, 9, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(scheduler, now=start)
    at(scheduler, start)
    assert not any(job.id.endswith("2024-25-Q4") for job in scheduler.get_jobs())

    at(scheduler, datetime(2024, 10, 1, 6, 0, tzinfo=LONDON))  # the daily plan in a new quarter
    assert "open_round:2024-25-Q4" in {job.id for job in scheduler.get_jobs()}


def _outcomes(env: JobEnvironment, subject: str) -> list[str]:
    """The recorded outcomes of the scheduled job ``subject`` (``"compile 2024/25 Q2"``)."""
    with session_scope(env.ctx.engine) as session:
        done = session.exec(select(AuditEvent).where(AuditEvent.action == "job.done",
                                                     AuditEvent.subject == subject)).all()
        return [event.detail["outcome"] for event in done]


def _person_id(env: JobEnvironment, key: str) -> int:
    with session_scope(env.ctx.engine) as session:
        return session.exec(select(Person).where(Person.key == key)).one().id

