"""The Teams gateway against the fake connector and the fake identity service, over real HTTP:
the token by client credentials (once, then cached), posts and in-place updates, member
lookups, Retry-After honoured, back-off on 412/429/502/504, timeouts, pacing per conversation,
and the errors the outbox understands."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from bot.ports.messages import PermanentSendError, TransientSendError
from bot.settings import load_settings
from handlers.teams.gateway import Pacer, TeamsGateway, Where
from tests.faketeams import (
    APP_ID,
    APP_PASSWORD,
    TENANT_ID,
    FakeConnector,
    FakeIdentity,
)


def gateway_for(identity: FakeIdentity, *, password: str = APP_PASSWORD, **options) -> TeamsGateway:
    settings = load_settings(RAGTIME_TEAMS_APP_ID=APP_ID, RAGTIME_TEAMS_APP_PASSWORD=password,
                             RAGTIME_TEAMS_TENANT_ID=TENANT_ID,
                             RAGTIME_TEAMS_LOGIN_URL=identity.login_url)
    options.setdefault("first_backoff", 0.05)
    return TeamsGateway(settings, **options)


def where(connector: FakeConnector, conversation: str = "a:conv-alice") -> Where:
    return Where(connector.url, conversation)


MESSAGE = {"type": "message", "text": "Your update for 2024/25 Q2 is due"}


def test_posts_and_updates_with_one_token(fake_identity, fake_connector):
    gateway = gateway_for(fake_identity)
    first = gateway.post(where(fake_connector), MESSAGE)
    second = gateway.post(where(fake_connector), {**MESSAGE, "text": "again"})
    gateway.update(where(fake_connector), first, {**MESSAGE, "text": "changed"})

    assert first != second
    assert fake_connector.activities[first]["text"] == "changed"
    assert [call.method for call in fake_connector.calls] == ["POST", "POST", "PUT"]
    assert len(fake_identity.grants) == 1  # cached for the token's life
    grant = fake_identity.grants[0]
    assert grant["scope"] == "https://api.botframework.com/.default"
    assert grant["client_id"] == APP_ID


def test_a_member_is_looked_up_in_the_conversation(fake_identity, fake_connector):
    fake_connector.add_member(user_id="29:1alice", aad_object_id="aad-alice", name="Alice",
                              email="alice.jones@example.nhs.uk")
    member = gateway_for(fake_identity).member(where(fake_connector), "29:1alice")
    assert member["email"] == "alice.jones@example.nhs.uk"


def test_a_personal_conversation_is_opened(fake_identity, fake_connector):
    conversation = gateway_for(fake_identity).open_personal(fake_connector.service_url,
                                                            "aad-alice")
    assert conversation == "a:personal-aad-alice"
    assert fake_connector.calls[0].body["tenantId"] == TENANT_ID


def test_retry_after_is_honoured(fake_identity, fake_connector):
    fake_connector.fail_next(429, retry_after=0.6)
    gateway = gateway_for(fake_identity)
    started = time.monotonic()
    gateway.post(where(fake_connector), MESSAGE)
    calls = fake_connector.calls
    assert [call.status for call in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.55
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("status", [412, 429, 502, 504, 500, 503])
def test_transient_statuses_back_off_and_succeed(fake_identity, fake_connector, status):
    fake_connector.fail_next(status, count=2)
    gateway_for(fake_identity).post(where(fake_connector), MESSAGE)
    calls = fake_connector.calls
    assert [call.status for call in calls] == [status, status, 200]
    assert calls[1].at - calls[0].at >= 0.04  # 0.05 s, then doubled
    assert calls[2].at - calls[1].at >= 0.09


def test_what_keeps_failing_is_transient_for_the_outbox(fake_identity, fake_connector):
    fake_connector.fail_next(503, count=5)
    with pytest.raises(TransientSendError) as caught:
        gateway_for(fake_identity).post(where(fake_connector), MESSAGE)
    assert caught.value.error == "teams_http_503"
    assert len(fake_connector.calls) == 5


def test_a_retry_after_longer_than_a_minute_is_left_to_the_outbox(fake_identity,
                                                                  fake_connector):
    fake_connector.fail_next(429, retry_after=120)
    with pytest.raises(TransientSendError):
        gateway_for(fake_identity).post(where(fake_connector), MESSAGE)
    assert len(fake_connector.calls) == 1


@pytest.mark.parametrize(("status", "error"), [(403, "teams_forbidden"),
                                               (404, "teams_conversation_not_found"),
                                               (400, "teams_bad_request")])
def test_a_refusal_is_permanent_at_once(fake_identity, fake_connector, status, error):
    fake_connector.fail_next(status)
    with pytest.raises(PermanentSendError) as caught:
        gateway_for(fake_identity).post(where(fake_connector), MESSAGE)
    assert caught.value.error == error
    assert len(fake_connector.calls) == 1


def test_a_timeout_is_tried_again(fake_identity, fake_connector):
    fake_connector.hang_next(1.5)
    started = time.monotonic()
    gateway_for(fake_identity, timeout=0.5).post(where(fake_connector), MESSAGE)
    assert time.monotonic() - started < 1.4  # did not wait for the hung answer
    # The hung call is answered later: as with any timeout, it may have been delivered too.
    fake_connector.wait_for(lambda fake: len(fake.calls) == 2)
    assert [call.status for call in fake_connector.calls] == [200, 200]


def test_a_wrong_secret_is_permanent_and_names_the_settings(fake_identity,
                                                            fake_connector):
    with pytest.raises(PermanentSendError, match="RAGTIME_TEAMS_APP_PASSWORD"):
        gateway_for(fake_identity, password="wrong").post(where(fake_connector), MESSAGE)
    assert fake_connector.calls == []


def test_messages_to_one_conversation_are_paced(fake_identity, fake_connector):
    # Slots of 0.3 s, timed where the connector receives them: wide enough that a busy
    # machine's jitter in delivery (tens of milliseconds) cannot blur a wait with no wait.
    gateway = gateway_for(fake_identity, pacer=Pacer(per_key=0.3, per_app=0.0))
    for n in range(4):
        gateway.post(where(fake_connector), {**MESSAGE, "text": str(n)})
    gateway.post(where(fake_connector, "a:conv-bob"), MESSAGE)
    at = [call.at for call in fake_connector.calls]
    assert all(later - earlier >= 0.25 for earlier, later in pairwise(at[:4]))
    assert at[4] - at[3] < 0.2  # another conversation does not wait for Alice's turn


def test_the_pacer_keeps_to_seven_a_second_per_conversation():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    for _ in range(15):
        pacer.wait_turn("a:conv")
    assert now[0] == pytest.approx(14 / 7)
    pacer.hold("a:conv", 3.0)
    pacer.wait_turn("a:conv")
    assert now[0] == pytest.approx(14 / 7 + 3.0)
