"""The fake Slack itself: its faults behave as documented, so other tests can rely on them."""

from __future__ import annotations

import contextlib
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from handlers.slack.gateway import SlackGateway, make_web_client
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.served_app import settings_for


def _gateway(fake: FakeSlack, sqlite_url: str) -> SlackGateway:
    settings = settings_for(fake, sqlite_url)
    return SlackGateway(make_web_client(
        settings, timeout=1, retry_interval=FixedValueRetryIntervalCalculator(0.01)))


def _bare(fake: FakeSlack, token: str | None = BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url, retry_handlers=[])


def test_unknown_or_missing_token_is_refused(fake_slack: FakeSlack):
    with pytest.raises(SlackApiError, match="invalid_auth"):
        _bare(fake_slack, "xoxb-wrong").auth_test()
    with pytest.raises(SlackApiError, match="not_authed"):
        _bare(fake_slack, None).auth_test()
    assert all("Authorization" not in c.headers for c in fake_slack.attempts())


def test_rate_limit_answers_429_beyond_n_per_second(fake_slack: FakeSlack):
    fake_slack.rate_limit("chat.postMessage", per_second=3)
    client = _bare(fake_slack)

    statuses = []
    for n in range(5):
        try:
            statuses.append(client.chat_postMessage(channel="C1", text=str(n)).status_code)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
            assert error.response.headers["Retry-After"] == "1"

    assert statuses == [200, 200, 200, 429, 429]


def test_rate_limited_fan_out_still_delivers_each_message_once(
    fake_slack: FakeSlack, sqlite_url: str
):
    fake_slack.rate_limit("chat.postMessage", per_second=4)
    gateway = _gateway(fake_slack, sqlite_url)

    for n in range(6):
        gateway.post_message(f"U0SRO{n:04d}", f"prompt {n}")

    delivered = [c.params["text"] for c in fake_slack.calls("chat.postMessage")]
    assert delivered == [f"prompt {n}" for n in range(6)]
    assert any(c.fault == "rate_limited" for c in fake_slack.attempts("chat.postMessage"))


def test_random_faults_are_reproducible_from_the_seed(fake_slack: FakeSlack):
    def run() -> list[str | None]:
        fake_slack.reset_calls()
        fake_slack.fail_rate(0.5, kinds=("429", "503"), seed=7)
        client = _bare(fake_slack)
        for n in range(12):
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel="C1", text=str(n))
        return [c.fault for c in fake_slack.attempts()]

    first, second = run(), run()
    assert first == second
    assert {"429", "503", None} == set(first)


def test_random_faults_with_retries_deliver_everything_once(
    fake_slack: FakeSlack, sqlite_url: str
):
    fake_slack.fail_rate(0.3, kinds=("503", "500"), seed=3)
    gateway = _gateway(fake_slack, sqlite_url)

    for n in range(10):
        gateway.post_message("C0GOVERN", f"message {n}")

    assert [c.params["text"] for c in fake_slack.calls("chat.postMessage")] == [
        f"message {n}" for n in range(10)]


def test_latency_is_added_to_every_call():
    with FakeSlack(latency=0.3) as fake:
        started = time.monotonic()
        _bare(fake).auth_test()
        assert time.monotonic() - started >= 0.3


def test_slow_but_processed_call_takes_effect(fake_slack: FakeSlack):
    fake_slack.delay_next("chat.postMessage", 0.2, process=True)

    _bare(fake_slack).chat_postMessage(channel="C1", text="late")

    assert [c.params["text"] for c in fake_slack.calls("chat.postMessage")] == ["late"]


def test_error_injection_returns_slack_errors(fake_slack: FakeSlack):
    fake_slack.fail_next("views.open", error="expired_trigger_id")

    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        _bare(fake_slack).views_open(trigger_id="t", view={"type": "modal", "blocks": [],
                                                           "title": {"type": "plain_text",
                                                                     "text": "x"}})


def test_wait_for_names_what_it_saw(fake_slack: FakeSlack):
    _bare(fake_slack).auth_test()

    with pytest.raises(AssertionError, match=r"expected 1 chat.postMessage.*auth.test"):
        fake_slack.wait_for("chat.postMessage", timeout=0.1)


def test_users_info_and_conversations_open(fake_slack: FakeSlack):
    fake_slack.add_user("U0SHARON", email="s@example.nhs.uk", real_name="Sharon Murphy")
    client = _bare(fake_slack)

    assert client.users_info(user="U0SHARON")["user"]["real_name"] == "Sharon Murphy"
    assert client.conversations_open(users=["U0SHARON"])["channel"]["id"] == "D0SHARON"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")
