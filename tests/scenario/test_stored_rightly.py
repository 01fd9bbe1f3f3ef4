"""Nothing stored wrongly (issue 13), through the served app on SQLite and PostgreSQL: an update
is filed only into an opened round whatever period the form's metadata names; one thread reply
is one message however often it is delivered, and the newest written counts; text no database
can hold is refused with a message saying what to change."""

from __future__ import annotations

import json
import time

from sqlmodel import func, select

from bot.calendar.periods import Period
from bot.collection.values import Target
from bot.reports.export import export_period
from handlers.slack.blocks.ids import OPEN_UPDATE, update_button_value
from storage.db import session_scope
from storage.models import AuditEvent, PeriodRecord, Person, Update
from tests.scenario.conftest import IN_SLACK, Q3, SHARON, Harness, blocks_text, elements
from tests.support.slack_requests import dm_message

EARLIER_YEAR, LAST_QUARTER, NEXT_QUARTER = Period(2023, 3), Period(2024, 2), Period(2024, 4)
# Message times (Slack ts) before the fixed clock's 10:00 on 20 December 2024.
WRITTEN_0900 = "1734685200.000100"
WRITTEN_0905 = "1734685500.000100"


def _count(slack: Harness, model: type) -> int:
    with session_scope(slack.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _confirmations(slack: Harness, channel: str, ts: str) -> list[dict]:
    return [m for m in slack.thread(channel, ts) if m["text"].startswith("Recorded")]


def _send(slack: Harness, text: str, *, thread_ts: str, ts: str, event_id: str) -> None:
    response = slack.served.slack.send(dm_message(
        text, user=SHARON, channel=slack.fake.dm_channel_for(SHARON), ts=ts,
        thread_ts=thread_ts, event_id=event_id))
    assert response.status == 200


# ------------------------------------------------------------------------------ the period rule

def test_a_form_tampered_to_another_period_is_refused_and_stores_nothing(
    on_each_database: Harness,
):
    slack = on_each_database
    periods, updates = _count(slack, PeriodRecord), _count(slack, Update)

    for period in (EARLIER_YEAR, LAST_QUARTER, NEXT_QUARTER):
        form = slack.open_form(SHARON, 1)
        metadata = json.loads(form["private_metadata"])
        metadata["p"] = period.slug
        response = slack.submit(SHARON, form, rag="green", narrative="Filed elsewhere.",
                                metadata=json.dumps(metadata))

        assert (response.status, response.body) == (200, "")  # kept; the worker refuses it
        told = slack.not_saved(SHARON)[-1]
        assert (f"There is no open round for {period.label}, so updates for it cannot be saved"
                in told)
    assert len(slack.not_saved(SHARON)) == 3
    assert (_count(slack, PeriodRecord), _count(slack, Update)) == (periods, updates)
    assert slack.audit("update.submitted") == []

    slack.open_round(NEXT_QUARTER)  # when that round opens, nothing counts as answered
    assert slack.latest(1, NEXT_QUARTER) is None
    assert slack.versions(1, NEXT_QUARTER) == []


def test_a_button_naming_a_period_without_a_round_opens_no_form(on_each_database: Harness):
    slack = on_each_database
    prompt = slack.prompt(SHARON, 1)

    view = slack.click(SHARON, update_button_value(Target(1, EARLIER_YEAR)),
                       channel=prompt.channel, ts=prompt.ts)

    assert "There is no open round for 2023/24 Q3" in blocks_text(view["blocks"])
    assert not [b for b in view["blocks"] if b["type"] == "input"]


def test_the_home_tab_offers_no_update_button_before_the_round_opens(slack: Harness):
    def home() -> dict:
        before = len(slack.fake.calls("views.publish"))
        assert slack.served.slack.open_home(SHARON).status == 200
        slack.fake.wait_for("views.publish", before + 1)
        return slack.fake.homes[SHARON]

    with session_scope(slack.engine, write=True) as session:  # linked in an earlier quarter
        sharon = session.exec(select(Person).where(Person.email == IN_SLACK[SHARON])).one()
        sharon.slack_id = SHARON
        session.add(sharon)

    shown = home()
    assert "no round opened yet" in blocks_text(shown["blocks"])
    assert "Your deliverables* — 4 of 4 still to report" in blocks_text(shown["blocks"])
    def update_buttons(blocks: list) -> list:  # not "Record an absence", always offered
        return [e for e in elements(blocks) if e.get("type") == "button"
                and e.get("action_id", "").startswith(OPEN_UPDATE)]

    assert update_buttons(shown["blocks"]) == []

    slack.open_round()
    assert len(update_buttons(home()["blocks"])) == 4


def test_a_thread_reply_to_a_prompt_of_a_period_without_a_round_is_refused(
    on_each_database: Harness,
):
    from bot.messaging.outbox import deliver_pending, record_message
    from handlers.slack.blocks.text import Message
    from handlers.slack.outbox import Outgoing, make_outbox_sender, register_renderer

    slack = on_each_database
    register_renderer("stale_prompt_test", lambda ctx, m: [
        Outgoing.of(m.payload["to"], Message("An old prompt."))])
    with session_scope(slack.engine, write=True) as session:
        record_message(session, key="stale:1", kind="stale_prompt_test", deliverable_id=1,
                       payload={"to": SHARON, "period": EARLIER_YEAR.label})
    deliver_pending(slack.engine, make_outbox_sender(slack.ctx), kinds={"stale_prompt_test"})
    stale = slack.fake.calls("chat.postMessage")[-1].response
    periods = _count(slack, PeriodRecord)

    slack.reply(SHARON, "Green - filed into last year", stale["ts"])

    said = slack.thread(stale["channel"], stale["ts"])[-1]
    assert "There is no open round for 2023/24 Q3" in said["text"] + blocks_text(
        said.get("blocks") or [])
    assert slack.versions(1, EARLIER_YEAR) == [] and slack.latest(1) is None
    assert _count(slack, PeriodRecord) == periods


# ------------------------------------------------------------------------------ one message

def test_one_message_delivered_under_two_event_ids_is_stored_and_answered_once(
    on_each_database: Harness,
):
    slack = on_each_database
    prompt = slack.prompt(SHARON, 1)
    with slack.follow_up(1):
        _send(slack, "Green - adopted", thread_ts=prompt.ts, ts=WRITTEN_0900,
              event_id="Ev0FIRST001")
    posts = len(slack.fake.calls("chat.postMessage"))

    _send(slack, "Green - adopted", thread_ts=prompt.ts, ts=WRITTEN_0900, event_id="Ev0OTHER001")

    time.sleep(0.3)  # let any stray listener run
    assert len(slack.fake.calls("chat.postMessage")) == posts
    assert len(slack.versions(1)) == 1
    assert len(_confirmations(slack, prompt.channel, prompt.ts)) == 1
    assert slack.processed() == [f"message:{prompt.channel}:{WRITTEN_0900}"]


def test_a_late_older_reply_never_replaces_the_newer_one(on_each_database: Harness):
    slack = on_each_database
    prompt = slack.prompt(SHARON, 1)
    with slack.follow_up(1):  # written at 09:05, delivered first
        _send(slack, "Green - the newer words", thread_ts=prompt.ts, ts=WRITTEN_0905,
              event_id="Ev0NEWER001")
    with slack.follow_up(1):  # written at 09:00, delivered late
        _send(slack, "Green - the older words", thread_ts=prompt.ts, ts=WRITTEN_0900,
              event_id="Ev0OLDER001")
    _send(slack, "Green - the older words", thread_ts=prompt.ts, ts=WRITTEN_0900,
          event_id="Ev0OLDER002")  # and the older one again under another event id
    time.sleep(0.3)

    assert slack.latest(1).narrative == "the newer words"
    assert [u.narrative for u in slack.versions(1)] == ["the older words", "the newer words"]
    card = slack.prompt(SHARON, 1).text
    assert "the newer words" in card and "the older words" not in card
    late = blocks_text(_confirmations(slack, prompt.channel, prompt.ts)[-1]["blocks"])
    assert "the older words" in late and "the update you wrote after it still counts" in late
    [row] = [r for r in export_period(slack.engine, Q3) if r["narrative"]]
    assert row["narrative"] == "the newer words"


# ------------------------------------------------------------------------------ invalid text

def test_text_no_database_can_hold_is_refused_in_the_form(on_each_database: Harness):
    slack = on_each_database
    form = slack.open_form(SHARON, 2)

    nul = slack.submit(SHARON, form, rag="green", narrative="SOPs\x00 reviewed").json()
    lone = slack.submit(SHARON, form, rag="red", narrative="Stalled \ud83d",
                        recovery_action="Escalate \udc00 now", recovery_date="2025-03-31",
                        change_reason="Estates\x00").json()

    assert nul["response_action"] == "errors" and list(nul["errors"]) == ["narrative"]
    assert "contains a NUL character" in nul["errors"]["narrative"]
    assert lone["response_action"] == "errors"
    assert set(lone["errors"]) == {"narrative", "recovery_action", "change_reason"}
    assert "not valid Unicode" in lone["errors"]["narrative"]
    assert "not valid Unicode" in lone["errors"]["recovery_action"]
    assert "NUL character" in lone["errors"]["change_reason"]
    assert slack.latest(2) is None
    with slack.follow_up(2):  # corrected, it is saved
        assert slack.submit(SHARON, form, rag="green", narrative="SOPs reviewed").body == ""
    assert slack.latest(2).narrative == "SOPs reviewed"


def test_text_no_database_can_hold_is_refused_in_a_thread_reply(on_each_database: Harness):
    slack = on_each_database
    prompt = slack.prompt(SHARON, 3)

    slack.reply(SHARON, "Green - done\x00 today", prompt.ts)
    nul = slack.thread(prompt.channel, prompt.ts)[-1]
    slack.reply(SHARON, "Green - done \ud83d today\nReason: \udc00", prompt.ts)
    lone = slack.thread(prompt.channel, prompt.ts)[-1]

    for said, problem in ((nul, "NUL character"), (lone, "not valid Unicode")):
        text = blocks_text(said["blocks"])
        assert "nothing was recorded" in text and problem in text
        assert "went wrong" not in text
    assert "\x00" not in json.dumps(nul) and "\\ud83d" not in json.dumps(lone)
    assert slack.latest(3) is None
    with slack.follow_up(3):
        slack.reply(SHARON, "Green - done today", prompt.ts, wait=False)
    assert slack.latest(3).narrative == "done today"
    with session_scope(slack.engine) as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "update.submitted")).all()
