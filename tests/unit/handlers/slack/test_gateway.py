"""The outbound gateway against the fake Slack: delivery, retries, error classes, logging."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.settings import Settings
from handlers.slack.gateway import (
    PermanentSendError,
    SlackGateway,
    TransientSendError,
    make_web_client,
)
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.served_app import settings_for

FAST = FixedValueRetryIntervalCalculator(0.05)


@pytest.fixture
def settings(fake_slack: FakeSlack, sqlite_url: str) -> Settings:
    return settings_for(fake_slack, sqlite_url)


@pytest.fixture
def gateway(settings: Settings) -> SlackGateway:
    return SlackGateway(make_web_client(settings, timeout=1, retry_interval=FAST))


def test_post_to_a_user_lands_in_their_dm(gateway: SlackGateway, fake_slack: FakeSlack):
    channel, ts = gateway.post_message("U0SRO0001", "Your Q2 update is due")

    assert channel == fake_slack.dm_channel_for("U0SRO0001")
    assert fake_slack.message(channel, ts)["text"] == "Your Q2 update is due"


def test_each_post_gets_a_later_ts(gateway: SlackGateway):
    first = gateway.post_message("C0GOVERN", "one")
    second = gateway.post_message("C0GOVERN", "two", thread_ts=first.ts)

    assert float(second.ts) > float(first.ts)


def test_update_replaces_the_message_text(gateway: SlackGateway, fake_slack: FakeSlack):
    channel, ts = gateway.post_message("C0GOVERN", "draft")
    gateway.update_message(channel, ts, "approved", blocks=[{"type": "divider"}])

    assert fake_slack.message(channel, ts)["text"] == "approved"


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda f: f.fail_next("chat.postMessage", status=429, retry_after=0),
                     id="429-retry-after"),
        pytest.param(lambda f: f.fail_next("chat.postMessage", status=503), id="503"),
        pytest.param(lambda f: f.delay_next("chat.postMessage", 3), id="timeout"),
    ],
)
def test_a_retried_post_is_delivered_exactly_once(
    gateway: SlackGateway, fake_slack: FakeSlack, inject
):
    inject(fake_slack)

    channel, ts = gateway.post_message("C0GOVERN", "Q2 report compiled")

    assert len(fake_slack.attempts("chat.postMessage")) == 2
    delivered = fake_slack.calls("chat.postMessage")
    assert [c.params["text"] for c in delivered] == ["Q2 report compiled"]
    assert delivered[0].response["ts"] == ts
    assert fake_slack.messages_in(channel) == [fake_slack.message(channel, ts)]


def test_rate_limit_waits_for_retry_after(gateway: SlackGateway, fake_slack: FakeSlack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)

    gateway.post_message("C0GOVERN", "hello")

    first, second = fake_slack.attempts("chat.postMessage")
    assert 1.0 <= second.at - first.at < 1.5  # Retry-After, plus a small spread only


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_channel_problems_are_permanent(gateway: SlackGateway, fake_slack: FakeSlack, error):
    fake_slack.set_channel_error("C0GONE", error)

    with pytest.raises(PermanentSendError) as caught:
        gateway.post_message("C0GONE", "hello")

    assert caught.value.error == error
    assert error in str(caught.value)
    assert len(fake_slack.attempts("chat.postMessage")) == 1  # never retried


def test_too_many_blocks_is_permanent(gateway: SlackGateway):
    with pytest.raises(PermanentSendError, match="invalid_blocks"):
        gateway.post_message("C0GOVERN", "x", blocks=[{"type": "divider"}] * 51)


def test_server_errors_that_persist_are_transient(gateway: SlackGateway, fake_slack: FakeSlack):
    fake_slack.fail_next("chat.postMessage", status=503, times=10)

    with pytest.raises(TransientSendError) as caught:
        gateway.post_message("C0GOVERN", "hello")

    assert caught.value.status == 503
    assert len(fake_slack.attempts("chat.postMessage")) == 4  # 1 + 3 retries
    assert fake_slack.calls("chat.postMessage") == []


def test_slack_unreachable_is_transient(settings: Settings, fake_slack: FakeSlack):
    client = make_web_client(settings, timeout=1, retry_interval=FAST)
    fake_slack.stop()

    with pytest.raises(TransientSendError):
        SlackGateway(client).post_message("C0GOVERN", "hello")


def test_a_bad_token_is_permanent(settings: Settings, fake_slack: FakeSlack):
    client = make_web_client(settings.model_copy(update={"slack_bot_token": None}))
    client.token = "xoxb-not-the-right-one"

    with pytest.raises(PermanentSendError, match="invalid_auth"):
        SlackGateway(client).post_message("C0GOVERN", "hello")


def test_lookup_user_by_email(gateway: SlackGateway, fake_slack: FakeSlack):
    fake_slack.add_user("U0SHARON", email="sharon.murphy@example.nhs.uk")

    assert gateway.lookup_user_by_email("Sharon.Murphy@example.nhs.uk") == "U0SHARON"
    assert gateway.lookup_user_by_email("nobody@example.nhs.uk") is None


def test_upload_files_shares_every_file_in_one_message(
    gateway: SlackGateway, fake_slack: FakeSlack, tmp_path: Path
):
    report = tmp_path / "q2-report.md"
    report.write_text("# Q2 report\n")
    chart = tmp_path / "q2-chart.png"
    chart.write_bytes(b"\x89PNG fake")

    ids = gateway.upload_files("C0GOVERN", [report, chart], "Draft Q2 report",
                               thread_ts="1700000000.000100")

    uploaded = {u.filename: u for u in fake_slack.uploaded_files()}
    assert sorted(uploaded) == ["q2-chart.png", "q2-report.md"]
    assert uploaded["q2-report.md"].data == b"# Q2 report\n"
    assert uploaded["q2-chart.png"].data == b"\x89PNG fake"
    assert {u.channel for u in uploaded.values()} == {"C0GOVERN"}
    assert {u.thread_ts for u in uploaded.values()} == {"1700000000.000100"}
    assert sorted(ids) == sorted(u.file_id for u in uploaded.values())
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1


def test_views_and_home(gateway: SlackGateway, fake_slack: FakeSlack):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Q2 update"},
             "blocks": [], "callback_id": "update"}
    opened = gateway.open_view("trigger-1", modal)
    updated = gateway.update_view(opened["id"], modal, hash=opened["hash"])
    gateway.publish_home("U0SRO0001", {"type": "home", "blocks": []})

    assert updated["id"] == opened["id"]
    assert fake_slack.homes["U0SRO0001"]["type"] == "home"
    with pytest.raises(PermanentSendError, match="hash_conflict"):
        gateway.update_view(opened["id"], modal, hash="stale")


def test_the_token_never_reaches_the_logs(
    gateway: SlackGateway, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    fake_slack.delay_next("chat.postMessage", 2)  # a timeout: slack_sdk logs the failure
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="slack_sdk"):
        gateway.post_message("C0GOVERN", "hello")

    assert "Failed to send a request" in caplog.text
    assert BOT_TOKEN not in caplog.text
