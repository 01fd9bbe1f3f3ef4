"""A whole round driven by the real scheduler under a moved clock, against a real SQLite file and
the fake Slack: open → prompts → reminders only to the outstanding → draft report → escalation."""

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
from storage.models import AuditEvent, Deliverable, JobRun, Source
from tests.fakeslack import FakeSlack
from tests.unit.schedules.support import GOVERNANCE, at

LONDON = ZoneInfo("Europe/London")
Q2 = Period.parse("2024/25 Q2")


def _posts(fake: FakeSlack) -> list[tuple[str, str]]:
    """(channel, text) of every message that reached Slack, in order."""
    return [(call.response["channel"], call.params["text"])
            for call in fake.calls("chat.postMessage")]


def _deliverable(env: JobEnvironment, title_start: str) -> int:
    with session_scope(env.ctx.engine) as session:
        return next(d.id for d in session.exec(select(Deliverable)).all()
                    if d.title.startswith(title_start))


def _submit(env: JobEnvironment, slack_id: str, deliverable_id: int) -> None:
    with session_scope(env.ctx.engine, write=True) as session:
        submit_update(session, actor_slack_id=slack_id, deliverable_id=deliverable_id,
                      period=Q2, rag="green", narrative="On track.", source=Source.cli)


def test_a_whole_round_runs_itself(framework, environment, fake_slack, posted_reports) -> None:
    scheduler = environment.scheduler
    plan = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q2)}
    start = datetime(2024, 9, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(scheduler, now=start)

    at(scheduler, start)  # plan_ahead: this round and the next are in the job store
    ids = {job.id for job in scheduler.get_jobs()}
    assert {"open_round:2024-25-Q2", "escalate:2024-25-Q2", "open_round:2024-25-Q3"} <= ids
    assert not any(job_id.endswith("2024-25-Q1") for job_id in ids)  # long over

    at(scheduler, plan["open_round"] + timedelta(minutes=1))
    prompts = _posts(fake_slack)
    # Every SRO of every deliverable, joint SROs each: Anita has two deliverables.
    assert sorted(channel for channel, _ in prompts) == ["D0ANITA", "D0ANITA", "D0JOE", "D0SHARON"]
    assert all(text.startswith("prompt prompt:2024-25-Q2:") for _, text in prompts)
    assert len({text for _, text in prompts}) == 4

    # Sharon answers; Joe answers the deliverable he shares with Anita; Anita's own is left.
    _submit(environment, "U0SHARON", _deliverable(environment, "Review"))
    _submit(environment, "U0JOE", _deliverable(environment, "Reduce waits"))
    fake_slack.reset_calls()

    for stage in ("5-days-before", "2-days-before", "deadline-day"):
        at(scheduler, plan[f"remind:{stage}"] + timedelta(minutes=1))
    assert _posts(fake_slack) == [
        ("D0ANITA", f"reminder reminder:2024-25-Q2:{stage}:{_person_id(environment, 'apatel')}")
        for stage in ("5-days-before", "2-days-before", "deadline-day")
    ]
    fake_slack.reset_calls()

    at(scheduler, plan["compile"] + timedelta(minutes=1))
    assert posted_reports.periods == ["2024/25 Q2"]
    upload = fake_slack.uploaded_files()[-1]
    assert upload.channel == GOVERNANCE and upload.filename.endswith("2024-25-Q2.md")
    assert b"Embed the patient safety incident framework" in (upload.data or b"")

    at(scheduler, plan["escalate"] + timedelta(minutes=1))
    assert _posts(fake_slack) == [(GOVERNANCE, "escalation escalation:2024-25-Q2:deadline")]

    with session_scope(environment.ctx.engine) as session:
        runs = session.exec(select(JobRun).where(JobRun.period_label == Q2.label)).all()
        failures = session.exec(select(AuditEvent).where(AuditEvent.action == "job.failed")).all()
    assert sorted(run.job for run in runs) == sorted(plan)
    assert all(run.finished_at is not None for run in runs)
    assert failures == []

    # Going over the same ground again sends nothing: every step ran once.
    fake_slack.reset_calls()
    at(scheduler, plan["escalate"] + timedelta(hours=2))
    assert _posts(fake_slack) == []


def test_next_quarters_jobs_appear_on_their_own(framework, environment) -> None:
    scheduler = environment.scheduler
    start = datetime(2024, 9, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(scheduler, now=start)
    at(scheduler, start)
    assert not any(job.id.endswith("2024-25-Q4") for job in scheduler.get_jobs())

    at(scheduler, datetime(2024, 10, 1, 6, 0, tzinfo=LONDON))  # the daily plan in a new quarter
    assert "open_round:2024-25-Q4" in {job.id for job in scheduler.get_jobs()}


def _person_id(env: JobEnvironment, key: str) -> int:
    from storage.models import Person

    with session_scope(env.ctx.engine) as session:
        return session.exec(select(Person).where(Person.key == key)).one().id

