"""The real app over real HTTP: signatures, health, and the minimal listeners."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_bolt.request import BoltRequest

from handlers.slack.after_ack import acked_first
from ragtime.http_server import make_server
from storage.db import make_engine
from tests.fakeslack import FakeSlack
from tests.support.served_app import ServedApp, serve, stop
from tests.support.slack_requests import (
    SIGNING_SECRET,
    app_home_opened,
    button,
    dm_message,
    signed_headers,
    url_verification,
)


def test_app_home_opened_publishes_a_home_tab(served_app: ServedApp, fake_slack: FakeSlack):
    response = served_app.slack.open_home("U0SRO0001")

    assert response.status == 200
    published = fake_slack.wait_for("views.publish")[0]
    assert published.params["user_id"] == "U0SRO0001"
    assert fake_slack.homes["U0SRO0001"]["type"] == "home"


def test_url_verification_echoes_the_challenge(served_app: ServedApp):
    response = served_app.slack.send(url_verification("abc123"))

    assert response.status == 200
    assert response.json() == {"challenge": "abc123"}


def test_unsigned_request_is_refused_and_reaches_no_listener(
    served_app: ServedApp, fake_slack: FakeSlack
):
    response = served_app.slack.send(app_home_opened("U0SRO0001"), signed=False)

    assert response.status == 401
    fake_slack.assert_no_call("views.publish")


def test_stale_timestamp_is_refused(served_app: ServedApp, fake_slack: FakeSlack):
    six_minutes_ago = int(time.time()) - 6 * 60
    response = served_app.slack.send(app_home_opened(), timestamp=six_minutes_ago)

    assert response.status == 401
    fake_slack.assert_no_call("views.publish")


def test_forged_signature_is_refused(served_app: ServedApp, fake_slack: FakeSlack):
    response = served_app.slack.send(app_home_opened(), secret="not-the-signing-secret")

    assert response.status == 401
    fake_slack.assert_no_call("views.publish")


def test_a_tampered_body_is_refused(served_app: ServedApp, fake_slack: FakeSlack):
    genuine = app_home_opened("U0SRO0001")
    headers = signed_headers(SIGNING_SECRET, genuine.body)
    tampered = genuine.body.replace("U0SRO0001", "U0INTRUDER")
    request = urllib.request.Request(
        served_app.slack.url, data=tampered.encode(), method="POST",
        headers={**headers, "Content-Type": genuine.content_type})

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    refused.value.close()

    assert refused.value.code == 401
    fake_slack.assert_no_call("views.publish")


def test_slack_retries_are_accepted(served_app: ServedApp):
    response = served_app.slack.send(dm_message("Green - on track"), retry_num=1)

    assert response.status == 200


def test_a_dm_message_is_acknowledged(served_app: ServedApp):
    assert served_app.slack.dm("Amber – delayed by estates work").status == 200


def _get_json(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_health_reports_the_database(served_app: ServedApp):
    status, body = _get_json(served_app.url + "/healthz")
    assert (status, body["ok"], body["database"], body["worker"]) == (200, True, "ok", "ok")


def test_health_is_503_when_the_database_is_down(served_app: ServedApp):
    broken = dataclasses.replace(
        served_app.ctx, engine=make_engine("postgresql://ragtime@127.0.0.1:9/ragtime"))
    with make_server(served_app.app, broken) as server:
        status, body = _get_json(server.url + "/healthz")

    assert (status, body) == (503, {"ok": False, "database": "unavailable"})


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 404), ("GET", "/slack/events", 405), ("POST", "/healthz", 404)])
def test_other_paths_are_refused(served_app: ServedApp, method: str, path: str, status: int):
    request = urllib.request.Request(served_app.url + path, data=b"" if method == "POST" else None,
                                     method=method)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    refused.value.close()
    assert refused.value.code == status


def test_many_users_at_once_are_all_served(served_app: ServedApp, fake_slack: FakeSlack):
    users = [f"U0SRO{n:04d}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda u: served_app.slack.open_home(u).status, users))

    assert statuses == [200] * 40
    fake_slack.wait_for("views.publish", 40)
    assert sorted(fake_slack.homes) == users


def test_a_failing_command_tells_the_user_and_logs_without_their_text(
    served_app: ServedApp, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    def explode(ack):  # type: ignore[no-untyped-def]
        ack()
        raise RuntimeError("boom")

    assert served_app.worker is not None  # a command is done by the worker
    served_app.worker.app.command("/explode")(explode)

    response = served_app.slack.command("/explode", "my confidential narrative")

    assert response.status == 200
    told = fake_slack.wait_for("response_url")[0]
    assert "something went wrong" in told.params["text"]
    assert told.params["response_type"] == "ephemeral"
    reference = told.params["text"].split("reference `")[1].split("`")[0]
    failure = next(r for r in caplog.records if reference in r.getMessage())
    assert "/explode" in failure.getMessage() and "user=U0SRO0001" in failure.getMessage()
    assert "confidential" not in caplog.text


def test_a_failing_modal_submission_messages_the_user(
    served_app: ServedApp, fake_slack: FakeSlack
):
    def explode(ack, view):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    served_app.app.view("explode")(explode)

    served_app.slack.submit("explode", {}, user_id="U0SRO0002")

    told = fake_slack.wait_for("chat.postMessage")[0]
    assert told.response["channel"] == fake_slack.dm_channel_for("U0SRO0002")
    assert "something went wrong" in told.params["text"]


def test_listeners_receive_the_app_context(served_app: ServedApp, fake_slack: FakeSlack):
    seen = []

    def status(ack, ctx):  # type: ignore[no-untyped-def]
        seen.append(ctx)
        ack("ok")

    assert served_app.worker is not None  # a command is done by the worker, on its context
    served_app.worker.app.command("/ragtime-test-context")(status)

    response = served_app.slack.command("/ragtime-test-context")
    assert response.status == 200
    assert fake_slack.told(response.response_url)["text"] == "ok"  # the worker's ack, relayed
    assert seen == [served_app.worker.ctx]


def test_served_on_each_database(any_engine, slack_settings, fake_slack: FakeSlack):
    served = serve(slack_settings, fake_slack, engine=any_engine)
    try:
        status, body = _get_json(served.url + "/healthz")
        assert (status, body["ok"], body["database"]) == (200, True, "ok")
        assert served.slack.open_home("U0SRO0001").status == 200
        fake_slack.wait_for("views.publish")
    finally:
        stop(served)


def test_a_failing_dm_reply_is_answered_in_its_thread(
    served_app: ServedApp, fake_slack: FakeSlack
):
    body = json.loads(dm_message("Green - done", channel="D0SRO0001", ts="1700000000.000200",
                                 thread_ts="1700000000.000100").body)
    on_error = served_app.app.listener_runner.listener_error_handler  # the @app.error one

    on_error.handle(error=RuntimeError("boom"), request=_bolt_request(served_app, body),
                    response=None)

    told = fake_slack.wait_for("chat.postMessage")[0]
    assert told.params["channel"] == "D0SRO0001"
    assert told.params["thread_ts"] == "1700000000.000100"
    assert "something went wrong" in told.params["text"]


def _bolt_request(served: ServedApp, body: dict) -> BoltRequest:
    request = BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
    request.context["client"] = served.app.client
    return request


def test_a_click_is_answered_before_its_work_and_that_work_failing_tells_the_user(
    served_app: ServedApp, fake_slack: FakeSlack
):
    """The serving app answers when a listener returns (no polling for the ack); a button's
    slow part (views.open) runs after the answer, and its error reaches the person as any
    listener's does."""
    release = threading.Event()

    def open_then_explode(body):  # type: ignore[no-untyped-def]
        release.wait(10)
        raise RuntimeError(f"boom for {body['user']['id']}")

    served_app.app.action("explode_after")(acked_first(open_then_explode))

    response = served_app.slack.click([button("explode_after", "x")], user_id="U0SRO0002")

    assert response.status == 200  # answered while the work still waits
    assert not release.is_set()
    fake_slack.assert_no_call("response_url")
    release.set()
    told = fake_slack.wait_for("response_url")[0]  # the click's own response_url
    assert "something went wrong" in told.params["text"]
    assert told.params["response_type"] == "ephemeral"
