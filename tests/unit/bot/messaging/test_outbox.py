import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.collection.reminders import record_reminders
from bot.collection.rounds import open_round
from bot.messaging.outbox import (
    DeliveryReport,
    PermanentSendError,
    SentRef,
    deliver_pending,
    failed_messages,
    find_prompt,
    record_message,
    requeue_failed,
    sent_forms,
    was_sent,
)
from bot.messaging.routing import EMAIL
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repo import find_period
from tests.support.collection_world import BHANU, JAMES, Q1, Q2, build_world


class FakeSlack:
    """Records every message it is asked to post, like the Web API would."""

    def __init__(self, *, crash_after: int | None = None, crash_with=SystemExit,
                 permanent_for: set[str] = frozenset(), transient_for: set[str] = frozenset()):
        self.posted: list[str] = []
        self.crash_after = crash_after
        self.crash_with = crash_with
        self.permanent_for = permanent_for
        self.transient_for = transient_for
        self.lock = threading.Lock()

    def __call__(self, message: OutboxMessage) -> SentRef:
        with self.lock:
            if self.crash_after is not None and len(self.posted) >= self.crash_after:
                raise self.crash_with()
            if message.payload.get("to") in self.permanent_for:
                raise PermanentSendError("user_not_found")
            if message.payload.get("to") in self.transient_for:
                raise ConnectionError("connection reset by peer")
            self.posted.append(message.key)
            return SentRef(channel=f"D{message.person_id}", ts=f"{len(self.posted)}.000100")


def add_messages(engine, n, kind="notice", **fields):
    with session_scope(engine, write=True) as s:
        for i in range(n):
            record_message(s, key=f"{kind}:{i}", kind=kind, payload={"to": f"U{i}"}, **fields)


def statuses(engine):
    with session_scope(engine) as s:
        return {m.key: m.status for m in s.exec(select(OutboxMessage)).all()}


def test_record_message_is_once_per_key(any_engine):
    with session_scope(any_engine, write=True) as s:
        first, created = record_message(s, key="notice:1", kind="notice", payload={"a": 1})
        again, created_again = record_message(s, key="notice:1", kind="notice", payload={"a": 2})
    assert (created, created_again, again.id, again.payload) == (True, False, first.id, {"a": 1})


def test_delivers_everything_and_marks_channel_and_ts(any_engine):
    add_messages(any_engine, 5)
    slack = FakeSlack()
    progress: list[DeliveryReport] = []
    report = deliver_pending(any_engine, slack, batch=2, on_progress=progress.append)
    assert report == DeliveryReport(sent=5)
    assert [p.sent for p in progress] == [1, 2, 3, 4, 5]
    assert slack.posted == [f"notice:{i}" for i in range(5)]
    with session_scope(any_engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {r.status for r in rows} == {OutboxStatus.sent}
    assert rows[0].ts == "1.000100" and rows[0].sent_at is not None and rows[0].attempts == 1
    assert deliver_pending(any_engine, slack) == DeliveryReport()  # nothing left to send
    assert len(slack.posted) == 5


@pytest.mark.parametrize("interruption", [SystemExit, KeyboardInterrupt])
def test_resume_after_a_crash_sends_the_rest_once(any_engine, interruption):
    add_messages(any_engine, 7)
    crashing = FakeSlack(crash_after=3, crash_with=interruption)
    with pytest.raises(interruption):
        deliver_pending(any_engine, crashing)
    assert crashing.posted == ["notice:0", "notice:1", "notice:2"]
    resumed = FakeSlack()
    report = deliver_pending(any_engine, resumed)
    assert report.sent == 4
    assert resumed.posted == ["notice:3", "notice:4", "notice:5", "notice:6"]
    assert sorted(crashing.posted + resumed.posted) == sorted(f"notice:{i}" for i in range(7))
    assert set(statuses(any_engine).values()) == {OutboxStatus.sent}


def test_a_row_left_sending_by_a_killed_process_is_retried_after_its_lease(any_engine):
    add_messages(any_engine, 2)
    with session_scope(any_engine, write=True) as s:  # as a SIGKILL mid-send would leave it
        s.exec(update(OutboxMessage).where(OutboxMessage.key == "notice:0").values(
            status=OutboxStatus.sending, claimed_at=utcnow(), attempts=1))
    slack = FakeSlack()
    assert deliver_pending(any_engine, slack).sent == 1  # still leased: left alone
    assert slack.posted == ["notice:1"]
    later = utcnow() + timedelta(minutes=6)
    assert deliver_pending(any_engine, slack, clock=lambda: later).sent == 1
    assert slack.posted == ["notice:1", "notice:0"]
    with session_scope(any_engine) as s:
        retried = s.exec(select(OutboxMessage).where(OutboxMessage.key == "notice:0")).one()
    assert (retried.status, retried.attempts) == (OutboxStatus.sent, 2)


def test_permanent_errors_are_failed_and_reported(any_engine):
    add_messages(any_engine, 3)
    report = deliver_pending(any_engine, FakeSlack(permanent_for={"U1"}))
    assert (report.sent, report.failed, report.skipped) == (2, 1, 0)
    assert [(f.key, f.error) for f in report.failures] == [("notice:1", "user_not_found")]
    with session_scope(any_engine) as s:
        failed = failed_messages(s)
        assert [(m.key, m.last_error) for m in failed] == [("notice:1", "user_not_found")]
    assert deliver_pending(any_engine, FakeSlack()) == DeliveryReport()  # not retried
    with session_scope(any_engine, write=True) as s:
        assert requeue_failed(s) == 1
    assert deliver_pending(any_engine, FakeSlack()).sent == 1


def test_transient_errors_stay_pending_until_max_attempts(any_engine):
    add_messages(any_engine, 2)
    flaky = FakeSlack(transient_for={"U0"})
    first = deliver_pending(any_engine, flaky, max_attempts=3)
    assert (first.sent, first.skipped, first.failed) == (1, 1, 0)
    with session_scope(any_engine) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.key == "notice:0")).one()
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.pending, 1, "connection reset by peer")
    assert deliver_pending(any_engine, flaky, max_attempts=3).skipped == 1
    last = deliver_pending(any_engine, flaky, max_attempts=3)
    assert (last.failed, last.failures[0].error) == (
        1, "gave up after 3 attempts: connection reset by peer")
    assert statuses(any_engine)["notice:0"] == OutboxStatus.failed


def test_kinds_and_period_filters(any_engine):
    world = build_world(any_engine)
    with session_scope(any_engine, write=True) as s:
        open_round(s, period=Q2, opened_by="U0LEAD")
        record_reminders(s, Q2, "5-days-before")
        period_id = open_round(s, period=Q2, opened_by="U0LEAD").round.period_id
    add_messages(any_engine, 1)
    slack = FakeSlack()
    assert deliver_pending(any_engine, slack, kinds={"prompt"}, period_id=period_id).sent == 4
    assert all(key.startswith("prompt:") for key in slack.posted)
    assert deliver_pending(any_engine, slack, kinds={"reminder", "notice"}).sent == 4
    with session_scope(any_engine) as s:
        prompt = find_prompt(s, f"D{world.people['jmullins']}", "4.000100")
        assert prompt.deliverable_id == world.research
        assert find_prompt(s, "D999", "4.000100") is None


def test_two_senders_at_once_send_each_message_once(any_engine):
    add_messages(any_engine, 40)
    slack = FakeSlack()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            deliver_pending(any_engine, slack, batch=5)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(slack.posted) == sorted(f"notice:{i}" for i in range(40))
    assert set(statuses(any_engine).values()) == {OutboxStatus.sent}


def test_sent_prompts_are_those_of_the_deliverable_and_period_that_reached_slack(any_engine):
    world = build_world(any_engine)
    with session_scope(any_engine, write=True) as s:
        open_round(s, period=Q2, opened_by="U0LEAD")
    deliver_pending(any_engine, FakeSlack(permanent_for={BHANU}))  # joint SROs: one refused
    with session_scope(any_engine, write=True) as s:  # Bhanu reached by email instead
        s.add(OutboxMessage(key="email-prompt", kind="prompt", status=OutboxStatus.sent,
                            period_id=find_period(session=s, fy=Q2.fy, quarter=Q2.quarter).id,
                            deliverable_id=world.research, via=EMAIL, channel="email",
                            ts="<m1@example.nhs.uk>", payload={"to": "bhanu@example.nhs.uk"}))

    def sent_prompts(s, deliverable_id, period):
        return sent_forms(s, deliverable_id, period, via=None, kinds=("prompt",))

    with session_scope(any_engine) as s:
        research = sent_prompts(s, world.research, Q2)
        assert [p.payload["to"] for p in research] == [JAMES]
        assert research[0].channel == f"D{world.people['jmullins']}"
        assert sent_prompts(s, world.research, Q1) == []  # a period never opened
        assert sent_prompts(s, world.wellbeing, Q2) == []  # no Slack id: never prompted


def test_was_sent_tells_whether_a_message_reached_slack(any_engine):
    with session_scope(any_engine, write=True) as s:
        ids = [record_message(s, key=f"notice:{to}", kind="notice", payload={"to": to})[0].id
               for to in ("U1", "U2", "U3")]
    deliver_pending(any_engine, FakeSlack(permanent_for={"U2"}, transient_for={"U3"}))
    with session_scope(any_engine) as s:
        assert [was_sent(s, message_id) for message_id in ids] == [True, False, False]
        assert was_sent(s, max(ids) + 1) is False
        assert was_sent(s, None) is False
