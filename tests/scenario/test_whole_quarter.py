"""``ragtime serve`` drives a whole quarter by itself: the scheduler's environment exactly as
``ragtime.app.start_scheduler_for`` installs it (the served app's context, whose ports reach
Slack; each job one call into the round, report or outbox flow), the bundled example, the app
served over real HTTP, SROs answering by thread reply, and the clock moved through 2024/25 Q3 —
Christmas and New Year's bank holidays included."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.executors.debug import DebugExecutor
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR
from bot.framework.example import load_example
from schedules import registry
from schedules.registry import JobEnvironment
from schedules.scheduler import build_scheduler
from schedules.service import add_recurring_jobs
from storage.db import session_scope
from storage.models import JobRun, Source, Update
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.support.served_app import ServedApp, serve, settings_for, stop
from tests.unit.schedules.support import SteppedScheduler, at

LONDON = ZoneInfo("Europe/London")
Q3 = Period(2024, 3)
GOVERNANCE = "C0GOVERN"
LEAD = "U0LEAD"
IN_SLACK = {  # David Williams (Part of the Community) is not in Slack
    "U0SHARON": "sharon.murphy@example.nhs.uk",
    "U0BHANU": "bhanu.chadalavada@example.nhs.uk",
    "U0JAMES": "james.mullins@example.nhs.uk",
    "U0PAUL": "paul.sheldon@example.nhs.uk",
    "U0JEAN": "jean.knight@example.nhs.uk",
    "U0SARAH": "sarah.willis@example.nhs.uk",
    LEAD: "governance.lead@example.nhs.uk",
}


@pytest.fixture
def bot(fake_slack: FakeSlack, engine: Engine, sqlite_url: str  # noqa: F811
        ) -> Iterator[tuple[ServedApp, JobEnvironment]]:
    with session_scope(engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    served = serve(settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD,
                                governance_channel=GOVERNANCE), fake_slack, engine=engine)
    scheduler = build_scheduler(engine, executors={"default": DebugExecutor()},
                                scheduler_class=SteppedScheduler)
    env = JobEnvironment(ctx=served.ctx, scheduler=scheduler)
    registry.install(env)
    scheduler.start()
    try:
        yield served, env
    finally:
        scheduler.shutdown()
        registry.uninstall()
        stop(served)


def _prompts(fake: FakeSlack, user: str) -> list[dict]:
    channel = fake.dm_channel_for(user)
    return [m for m in fake.messages_in(channel)
            if "thread_ts" not in m and "Submit" in json.dumps(m.get("blocks") or [])]


def _texts(fake: FakeSlack, channel: str) -> str:
    return "\n".join(json.dumps(m) for m in fake.messages_in(channel))


def test_a_whole_quarter_runs_itself(bot, fake_slack: FakeSlack) -> None:  # noqa: F811
    served, env = bot
    plan = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q3)}
    # Christmas: prompts open Fri 20 Dec; deadline Wed 15 Jan after the bank holidays.
    assert plan["open_round"].date().isoformat() == "2024-12-20"
    assert plan["compile"].date().isoformat() == "2025-01-15"

    start = datetime(2024, 12, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(env.scheduler, now=start)
    at(env.scheduler, start)  # planning: the Q3 round's jobs are in the job store

    at(env.scheduler, plan["open_round"] + timedelta(minutes=1))
    sharon = _prompts(fake_slack, "U0SHARON")
    assert len(sharon) == 4 and len(_prompts(fake_slack, "U0BHANU")) == 3
    # David Williams cannot be found in Slack: governance is told, not left to guess.
    assert "David Williams" in _texts(fake_slack, GOVERNANCE)

    # Sharon answers all four Access deliverables by thread reply, over real signed HTTP.
    for number, prompt in enumerate(sharon, start=1):
        reply = served.slack.dm("Green - on track, policy adopted", user="U0SHARON",
                                channel=prompt["channel"], thread_ts=prompt["ts"],
                                ts=f"{int(time.time()) + 10}.9{number:05d}")
        assert reply.status == 200
    assert _wait_for_updates(env.ctx.engine, 4)

    fake_slack.reset_calls()
    at(env.scheduler, plan["remind:5-days-before"] + timedelta(minutes=1))
    reminded = {call.params["channel"] for call in fake_slack.calls("chat.postMessage")}
    assert "U0SHARON" not in reminded and "U0BHANU" in reminded and "U0SARAH" in reminded

    fake_slack.reset_calls()
    at(env.scheduler, plan["compile"] + timedelta(minutes=1))
    uploads = fake_slack.uploaded_files()
    assert {f.filename.rsplit(".", 1)[-1] for f in uploads} >= {"md", "html", "docx", "pdf",
                                                                 "png"}
    assert all(f.channel == GOVERNANCE for f in uploads)

    fake_slack.reset_calls()
    at(env.scheduler, plan["escalate"] + timedelta(minutes=1))
    escalation = [c for c in fake_slack.calls("chat.postMessage")
                  if c.params["channel"] == GOVERNANCE]
    assert escalation and "Sarah Willis" in json.dumps(escalation[0].params)
    assert "Sharon Murphy" not in json.dumps(escalation[0].params)

    with session_scope(env.ctx.engine) as session:
        ran = {run.job for run in session.exec(select(JobRun)).all()
               if run.period_label == Q3.label}
    assert {"open_round", "remind:5-days-before", "compile", "escalate"} <= ran


def _wait_for_updates(engine: Engine, count: int, timeout: float = 10.0) -> bool:
    """Thread replies are handled after the ack: wait until ``count`` Q3 updates are stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            replies = session.exec(select(Update).where(Update.source == Source.thread)).all()
        if len(replies) >= count:
            return True
        time.sleep(0.05)
    return False
