"""A whole quarter around absences, run by the scheduler as ``ragtime serve`` runs it (the served
app over real HTTP, the fake Slack, the clock moved through 2024/25 Q3 with its Christmas bank
holidays), on SQLite and PostgreSQL:

- Sharon Murphy is away over the opening, covered by Sarah Willis: Sarah is prompted and
  reminded on Sharon's behalf, answers by thread reply, and the paper names Sharon as the SRO
  with "Submitted by Sarah Willis (cover)";
- Bhanu Chadalavada is away with nobody covering: his prompts wait for his first working day
  back (Mon 6 Jan) and the reminders follow from then; his joint SRO James Mullins is away until
  after the deadline;
- Jean Knight is away over the deadline with nobody covering: the escalation lists her
  deliverables as a decision for governance, not as late;
- Paul Sheldon is given until Fri 24 Jan: the deadline's reminders and escalation leave him out,
  his own come counting from 24 Jan, and the paper says so instead of "No update received".
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.executors.debug import DebugExecutor
from docx import Document
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR
from bot.collection.away import extend, record_away
from bot.framework.example import load_example
from schedules import registry
from schedules.registry import JobEnvironment
from schedules.scheduler import build_scheduler
from schedules.service import add_recurring_jobs
from storage.db import session_scope
from storage.models import OutboxMessage, Person, Update, UpdateOnBehalf
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
def bot(fake_slack: FakeSlack, any_engine: Engine  # noqa: F811
        ) -> Iterator[tuple[ServedApp, JobEnvironment]]:
    with session_scope(any_engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    url = any_engine.url.render_as_string(hide_password=False)
    served = serve(settings_for(fake_slack, url, governance_leads_raw=LEAD,
                                governance_channel=GOVERNANCE), fake_slack, engine=any_engine)
    scheduler = build_scheduler(any_engine, executors={"default": DebugExecutor()},
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


def _posts(fake: FakeSlack, channel: str) -> list[dict]:
    return [call.params for call in fake.calls("chat.postMessage")
            if call.params["channel"] == channel]


def _prompts(fake: FakeSlack, user: str) -> list[dict]:
    return [m for m in fake.messages_in(fake.dm_channel_for(user))
            if "thread_ts" not in m and "Submit update" in json.dumps(m.get("blocks") or [])]


def _morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 1, tzinfo=LONDON)


def test_a_quarter_with_absences_cover_and_an_extension(bot, fake_slack):  # noqa: F811
    served, env = bot
    ctx = served.ctx
    plan = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q3)}
    assert plan["open_round"].date() == date(2024, 12, 20)
    assert plan["escalate"].date() == date(2025, 1, 16)  # deadline Wed 15 Jan
    record_away(ctx, person="smurphy", starts=date(2024, 12, 16), ends=date(2025, 1, 10),
                cover="swillis", by="cli:test")
    record_away(ctx, person="bchadalavada", starts=date(2024, 12, 18), ends=date(2025, 1, 3),
                by="cli:test")
    record_away(ctx, person="jmullins", starts=date(2024, 12, 18), ends=date(2025, 1, 17),
                by="cli:test")
    record_away(ctx, person="jknight", starts=date(2025, 1, 13), ends=date(2025, 1, 24),
                note="Surgery", by="cli:test")

    start = datetime(2024, 12, 2, 8, 0, tzinfo=LONDON)
    add_recurring_jobs(env.scheduler, now=start)
    at(env.scheduler, start)  # planning: the round's jobs and the daily absence step

    # Fri 20 Dec: the round opens. Sharon is away: Sarah is prompted on her behalf.
    at(env.scheduler, plan["open_round"] + timedelta(minutes=1))
    assert _prompts(fake_slack, "U0SHARON") == []
    sarah = _prompts(fake_slack, "U0SARAH")
    covering = [m for m in sarah if "covering for Sharon Murphy" in json.dumps(m["blocks"])]
    assert len(sarah) == 8 and len(covering) == 4
    assert "away until Fri 10 Jan 2025" in json.dumps(covering[0]["blocks"])
    assert _prompts(fake_slack, "U0BHANU") == [] and _prompts(fake_slack, "U0JAMES") == []
    assert len(_prompts(fake_slack, "U0JEAN")) > 0  # Jean's leave starts in January
    paul = extend(ctx, period=Q3, target="psheldon", until=date(2025, 1, 24), by="U0LEAD")
    assert paul.who == "Paul Sheldon"

    # Sarah answers one of Sharon's deliverables in its prompt's thread, over signed HTTP.
    with time_machine_at(date(2024, 12, 23)):
        reply = served.slack.dm("Green - policy adopted by the board", user="U0SARAH",
                                channel=covering[0]["channel"], thread_ts=covering[0]["ts"],
                                ts=f"{int(time.time())}.000100")
        assert reply.status == 200
        assert _wait_for(lambda: _on_behalf(env.ctx.engine))
    with session_scope(env.ctx.engine) as session:
        update_id, sro_id = _on_behalf(env.ctx.engine)[0]
        update = session.get(Update, update_id)
        assert session.get(Person, update.submitted_by_id).name == "Sarah Willis"
        assert session.get(Person, sro_id).name == "Sharon Murphy"

    # Mon 6 Jan, Bhanu's first working day back: his held prompts go at 09:00.
    at(env.scheduler, _morning(date(2025, 1, 3)))
    assert _prompts(fake_slack, "U0BHANU") == []
    at(env.scheduler, _morning(date(2025, 1, 6)))
    assert len(_prompts(fake_slack, "U0BHANU")) == 3
    assert _prompts(fake_slack, "U0JAMES") == []  # away until after the deadline

    # Wed 8 Jan, 5 working days before the deadline: only those here are reminded; Sarah for
    # Sharon's three still outstanding; Paul (extended) and the absent are not.
    fake_slack.reset_calls()
    at(env.scheduler, plan["remind:5-days-before"] + timedelta(minutes=1))
    reminded = {call.params["channel"] for call in fake_slack.calls("chat.postMessage")}
    assert reminded == {"U0BHANU", "U0SARAH", "U0JEAN"}
    for_sharon = [p for p in _posts(fake_slack, "U0SARAH")
                  if "covering for Sharon Murphy" in json.dumps(p)]
    assert len(for_sharon) == 1 and json.dumps(for_sharon[0]).count("Submit update") == 3

    # Thu 16 Jan: the escalation lists Jean's as a decision and Paul's as extended, not late.
    at(env.scheduler, plan["compile"] + timedelta(minutes=1))
    fake_slack.reset_calls()
    at(env.scheduler, plan["escalate"] + timedelta(minutes=1))
    escalation = json.dumps([post for post in _posts(fake_slack, GOVERNANCE)
                             if "after the deadline" in post.get("text", "")])
    assert "Away, no cover: a decision for you" in escalation
    assert "Jean Knight (away until Fri 24 Jan 2025, no cover)" in escalation
    assert "*Deadline extended* (3)" in escalation and "due by Fri 24 Jan 2025" in escalation
    late = escalation.split("Away, no cover")[0]
    assert "Bhanu Chadalavada" in late and "Sharon Murphy" in late
    assert "Jean Knight" not in late and "Paul Sheldon" not in late

    # Fri 17 Jan: Paul's own reminder, 5 working days before his 24 Jan.
    fake_slack.reset_calls()
    at(env.scheduler, _morning(date(2025, 1, 17)))
    assert [c.params["channel"] for c in fake_slack.calls("chat.postMessage")] == ["U0PAUL"]
    assert "Fri 24 Jan 2025" in json.dumps(fake_slack.calls("chat.postMessage")[0].params)
    # Mon 27 Jan: his deliverable is escalated, one working day after his deadline.
    fake_slack.reset_calls()
    at(env.scheduler, _morning(date(2025, 1, 27)))
    late_paul = json.dumps(_posts(fake_slack, GOVERNANCE))
    assert "Paul Sheldon" in late_paul and "Fri 24 Jan 2025" in late_paul
    with session_scope(env.ctx.engine) as session:
        keys = {row.key for row in session.exec(select(OutboxMessage)).all()}
    assert "escalation:2024-25-Q3:extended-2025-01-24" in keys

    # The paper compiled at the deadline names Sharon as SRO and Sarah as the cover who
    # submitted; Paul's row says his deadline was extended.
    markdown = next(f for f in fake_slack.uploaded_files() if f.filename.endswith(".md"))
    text = markdown.data.decode()
    assert "*Submitted by Sarah Willis (cover).*" in text
    assert "No update received yet: deadline extended to 24 January 2025." in text
    word = next(f for f in fake_slack.uploaded_files() if f.filename.endswith(".docx"))
    cells = "\n".join(cell.text for table in Document(io.BytesIO(word.data)).tables
                      for row in table.rows for cell in row.cells)
    assert "Submitted by Sarah Willis (cover)." in cells
    assert cells.count("deadline extended to 24 January 2025") == 3  # Paul's three


def time_machine_at(day: date) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON),
                               tick=True)


def _on_behalf(engine: Engine) -> list[tuple[int, int]]:
    with session_scope(engine) as session:
        return [(row.update_id, row.on_behalf_of_id)
                for row in session.exec(select(UpdateOnBehalf)).all()]


def _wait_for(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
