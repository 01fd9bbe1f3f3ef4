"""A round keeps going through the ways a Socket Mode connection ends: dropped without a close
frame, an ack lost on the way (Slack redelivers the event on the next connection), Slack's
``disconnect`` messages (``refresh_requested``, ``warning``), and ``apps.connections.open``
failing for a while. Nothing is lost and nothing is stored or answered twice."""

from __future__ import annotations

import itertools
import logging

import pytest

from tests.fakeslack.socket_mode import FakeSocketMode
from tests.scenario.conftest import BHANU, JAMES, PAUL, SHARON, Harness
from tests.scenario.reports.support import wait_until
from tests.support.slack_requests import dm_message

GREEN = "Green - on track, nothing to add"


def bot_answers(slack: Harness, user: str, deliverable_id: int) -> list[dict]:
    prompt = slack.prompt(user, deliverable_id)
    return slack.thread(prompt.channel, prompt.ts)


def test_a_dropped_connection_and_a_lost_ack_lose_and_duplicate_nothing(
    opened: Harness, socket_mode: FakeSocketMode
):
    opened.answer_by_reply(SHARON, 1, GREEN)

    # The connection is cut (no close frame): the app reconnects and carries on.
    socket_mode.drop()
    socket_mode.wait_connected(2)
    opened.answer_by_form(SHARON, 2, "green", "Directorate SOPs reviewed.")

    # The ack of a thread reply never reaches Slack: the connection drops as it arrives and
    # Slack redelivers the event (retry_attempt 1) on the next connection.
    socket_mode.lose_next_ack()
    opened.answer_by_reply(SHARON, 3, GREEN)
    [first, retry] = socket_mode.deliveries_of(opened.served.slack.envelopes[-1])
    assert (first.retry_attempt, retry.retry_attempt, retry.retry_reason) == (0, 1, "timeout")
    assert first.payload["event_id"] == retry.payload["event_id"]
    assert socket_mode.ack_for(first) is not None
    socket_mode.wait_connected(3)

    # Events sent while no connection is open wait for the next one.
    socket_mode.drop()
    reply = opened.reply(PAUL, GREEN, opened.prompt(PAUL, 8).ts, wait=False)
    assert reply.status == 200

    wait_until(lambda: opened.latest(8) is not None, what="Paul's reply stored")
    for deliverable in (1, 2, 3, 8):
        assert len(opened.versions(deliverable)) == 1, deliverable
    for user, deliverable in ((SHARON, 1), (SHARON, 3), (PAUL, 8)):
        answers = wait_until(lambda u=user, d=deliverable: bot_answers(opened, u, d),
                             what="the bot's answer")
        assert len(answers) == 1, (deliverable, answers)
    assert opened.updates_count() == 4
    assert len(socket_mode.connections()) == 4


def test_slack_asking_to_reconnect_mid_round_loses_and_duplicates_nothing(
    opened: Harness, socket_mode: FakeSocketMode
):
    opened.answer_by_form(SHARON, 1, "green", "Access policy implemented.")

    socket_mode.disconnect("refresh_requested")
    socket_mode.wait_connected(2)
    opened.answer_by_reply(BHANU, 5, GREEN)
    opened.answer_by_form(SHARON, 2, "green", "Directorate SOPs reviewed.")

    socket_mode.disconnect("warning")
    socket_mode.wait_connected(3)
    opened.answer_by_reply(JAMES, 6, GREEN)

    # Slack redelivers an event the app had acknowledged (retry_attempt 2): stored once,
    # answered once, acknowledged again.
    prompt = opened.prompt(JAMES, 6)
    first = next(e for e in opened.served.slack.envelopes if e.type == "events_api"
                 and e.payload["event"].get("thread_ts") == prompt.ts)
    again = socket_mode.deliver("events_api", first.payload, retry_attempt=2,
                                retry_reason="timeout")
    assert again.payload is None

    assert [len(opened.versions(d)) for d in (1, 2, 5, 6)] == [1, 1, 1, 1]
    assert len(bot_answers(opened, JAMES, 6)) == 1
    assert len(bot_answers(opened, BHANU, 5)) == 1
    # The old connections were closed once the new ones were open.
    wait_until(lambda: [c.closed.is_set() for c in socket_mode.connections()]
               == [True, True, False], what="the old connections closed")


def test_apps_connections_open_failing_for_a_while_is_retried_with_backoff_and_logged(
    opened: Harness, socket_mode: FakeSocketMode, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ragtime.socket_mode")
    opened.fake.fail_next("apps.connections.open", error="internal_error", times=3)
    before = len(opened.fake.attempts("apps.connections.open"))

    socket_mode.drop()
    # Sent while the app cannot reconnect: delivered once it can.
    reply = opened.served.slack.send(
        dm_message(GREEN, user=SHARON, channel=opened.fake.dm_channel_for(SHARON),
                   ts="1900000001.000001", thread_ts=opened.prompt(SHARON, 1).ts))

    assert reply.status == 200
    wait_until(lambda: opened.latest(1) is not None, what="the reply stored")
    attempts = opened.fake.attempts("apps.connections.open")[before:]
    assert [c.fault for c in attempts] == ["internal_error", "internal_error",
                                           "internal_error", None]
    pauses = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert all(pause >= 0.02 for pause in pauses), pauses  # backed off, not hammered
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 3 and "internal_error" in retries[0]
    assert any("answered after 3 failed attempt(s)" in r.getMessage() for r in caplog.records)
    assert opened.fake.app_token not in caplog.text and opened.fake.token not in caplog.text
    assert "ticket=" not in caplog.text
