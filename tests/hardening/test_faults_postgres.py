"""PostgreSQL restarted (and briefly down) in the middle of a round.

Ragtime is served on a PostgreSQL cluster of this test's own; SROs answer, the server is
restarted (``pg_ctl restart -m fast`` cuts every pooled connection), and the next submissions are
stored: the pool finds each connection the server cut before it is used, and replaces it. While
the server is down, a submission is refused visibly (not acknowledged, nothing stored, the
person told) and the same form submitted again afterwards is stored once.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.migrate import upgrade
from tests.fakeslack import FakeSlack
from tests.hardening.postgres_cluster import PostgresCluster
from tests.scenario.conftest import JEAN, PAUL, SARAH, SHARON, Harness, serve_example
from tests.support.served_app import stop
from tests.support.slack_requests import block_actions, button

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(own_postgres: PostgresCluster) -> Iterator[tuple[Engine, str]]:
    """A fresh database on the test's own server."""
    admin = make_engine(own_postgres.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "restart" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "restart"'))
    admin.dispose()
    url = own_postgres.url.rsplit("/", 1)[0] + "/restart"
    engine = make_engine(url)
    upgrade(engine)
    yield engine, url
    engine.dispose()


@pytest.fixture
def slack(fake_slack: FakeSlack, database: tuple[Engine, str]) -> Iterator[Harness]:
    engine, url = database
    served = serve_example(fake_slack, engine, url)
    try:
        harness = Harness(served)
        harness.summary = harness.open_round()
        yield harness
    finally:
        stop(served)


def health(slack: Harness) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(slack.served.url + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_submissions_after_a_restart_are_stored(slack: Harness, own_postgres: PostgresCluster):
    slack.answer_by_form(SHARON, 1, "green", "Stored before the restart")

    own_postgres.restart()

    status, body = health(slack)
    assert (status, body["ok"], body["database"]) == (200, True, "ok")
    slack.answer_by_form(SHARON, 2, "green", "Stored after the restart")
    slack.answer_by_reply(PAUL, 8, "Green - replied after the restart")
    own_postgres.restart()
    slack.answer_by_reply(JEAN, 11, "Green - replied after the second restart")

    stored = {d: [u.narrative for u in slack.versions(d)] for d in (1, 2, 8, 11)}
    assert stored == {
        1: ["Stored before the restart"],
        2: ["Stored after the restart"],
        8: ["replied after the restart"],
        11: ["replied after the second restart"],
    }


def test_a_submission_while_the_database_is_down_is_refused_then_stored_once(
    slack: Harness, own_postgres: PostgresCluster
):
    form = slack.open_form(SARAH, 12)
    own_postgres.stop()
    try:
        down = slack.submit(SARAH, form, rag="green", narrative="Sent while the database is down")
        status, body = health(slack)
    finally:
        own_postgres.start()

    assert down.status >= 500 and "Traceback" not in down.body  # Slack shows an error
    assert (status, body) == (503, {"ok": False, "database": "unavailable"})
    told = slack.fake.wait_for("chat.postMessage")[-1]
    assert told.params["channel"] == SARAH and "went wrong" in told.params["text"]

    with slack.follow_up(12):
        again = slack.submit(SARAH, form, rag="green", narrative="Sent while the database is down")
    assert again.status == 200 and again.body == ""
    assert [u.narrative for u in slack.versions(12)] == ["Sent while the database is down"]


def test_work_done_while_the_database_went_down_is_recorded_when_it_is_back_not_done_again(
    slack: Harness, own_postgres: PostgresCluster
):
    """The worker fills an SRO's form (``views.update``) and the server goes down before the
    worker can record that: once it is back the item is recorded done at once (not held
    until its five-minute lease ends, then the form filled a second time)."""
    prompt = slack.prompt(SARAH, 12)
    slack.fake.delay_next("views.update", 1.5, process=True)
    slack.served.slack.send(block_actions(
        [button("open_update", prompt.value)], user_id=SARAH, channel_id=prompt.channel,
        message_ts=prompt.ts, response_url=slack.fake.response_url()))
    _down_while_the_worker_waits_on(slack, own_postgres, "views.update", 1)

    slack.served.settle()
    [filled] = slack.fake.calls("views.update")
    form = slack.fake.views[filled.params["view_id"]]
    with slack.follow_up(12):
        stored = slack.submit(SARAH, form, rag="green", narrative="Filled as the server stopped")
    assert stored.status == 200 and stored.body == ""
    assert [u.narrative for u in slack.versions(12)] == ["Filled as the server stopped"]


def test_a_confirmation_sent_while_the_database_went_down_is_marked_sent_once_it_is_back(
    slack: Harness, own_postgres: PostgresCluster
):
    """The worker posts an SRO's confirmation and the server goes down before it is marked
    sent: once the server is back the mark is made (the message not left ``sending`` until its
    five-minute lease ends, then looked for or posted again)."""
    form = slack.open_form(SARAH, 12)
    posts = len(slack.fake.calls("chat.postMessage"))
    slack.fake.delay_next("chat.postMessage", 1.5, process=True)
    assert slack.submit(SARAH, form, rag="green", narrative="Confirmed as the server stopped",
                        wait=False).body == ""
    _down_while_the_worker_waits_on(slack, own_postgres, "chat.postMessage", posts + 1)

    slack.served.settle()
    confirmations = [c for c in slack.fake.calls("chat.postMessage")[posts:]
                     if c.params["channel"] == slack.fake.dm_channel_for(SARAH)]
    assert len(confirmations) == 1 and "Recorded" in confirmations[0].params["text"]
    assert [u.narrative for u in slack.versions(12)] == ["Confirmed as the server stopped"]


def _down_while_the_worker_waits_on(slack: Harness, own_postgres: PostgresCluster, method: str,
                                    calls: int) -> None:
    """The server stopped while the worker waits on ``method`` (stalled by ``delay_next``),
    and started again once the call is answered and the worker's record of it has failed."""
    slack.fake.wait_stalled(method)
    own_postgres.stop()
    try:
        slack.fake.wait_for(method, calls)
        time.sleep(0.5)
    finally:
        own_postgres.start()
