"""``POST /api/messages`` over real HTTP: only the Bot Framework, for our app and tenant, is
heard. A verified activity is in the inbox before the 200; every request that fails a check
gets 401 and stores nothing. Tokens are real RS256 JWTs signed by the fake identity service's
key and verified against its published JWKS."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.inbox_file import inbox_engine
from storage.models import InboxItem
from tests.faketeams import APP_ID, TENANT_ID, FakeIdentity

SERVICE_URL = "https://smba.trafficmanager.net/uk/"
ALICE = "6d3f2a1b-9c8e-4f7a-b6d5-1a2b3c4d5e6f"


def activity(kind: str = "message", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind, "id": f"1733{time.monotonic_ns()}", "channelId": "msteams",
        "serviceUrl": SERVICE_URL, "text": "hello",
        "from": {"id": "29:1alice", "name": "Alice Jones", "aadObjectId": ALICE},
        "recipient": {"id": f"28:{APP_ID}", "name": "Ragtime"},
        "conversation": {"id": "a:1personal-alice", "conversationType": "personal",
                         "tenantId": TENANT_ID},
        "channelData": {"tenant": {"id": TENANT_ID}},
    }
    body.update(changes)
    return body


def post(url: str, body: dict[str, Any] | bytes, token: str | None = None,
         scheme: str = "Bearer") -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    request = urllib.request.Request(f"{url}/api/messages", data=data, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def stored(ctx) -> list[InboxItem]:
    with session_scope(inbox_engine(ctx.engine)) as session:
        return list(session.exec(select(InboxItem)))


def test_a_verified_message_is_in_the_inbox_before_the_200_and_stored_once(
        teams_served, fake_identity: FakeIdentity):
    server, ctx = teams_served
    body = activity()
    token = fake_identity.activity_token(SERVICE_URL)

    assert post(server.url, body, token) == 200
    items = stored(ctx)
    assert [(item.kind, item.payload["activity"]["text"]) for item in items] == [
        ("teams.activity", "hello")]
    assert post(server.url, body, token) == 200  # the Bot Framework's redelivery
    assert len(stored(ctx)) == 1


@pytest.mark.parametrize("kind", ["installationUpdate", "conversationUpdate"])
def test_installs_are_stored_for_the_worker(teams_served, fake_identity, kind):
    server, ctx = teams_served
    assert post(server.url, activity(kind, action="add"),
                fake_identity.activity_token(SERVICE_URL)) == 200
    assert [item.payload["activity"]["type"] for item in stored(ctx)] == [kind]


def test_typing_is_acknowledged_and_dropped(teams_served, fake_identity):
    server, ctx = teams_served
    assert post(server.url, activity("typing"), fake_identity.activity_token(SERVICE_URL)) == 200
    assert stored(ctx) == []


HOUR = 3600


@pytest.mark.parametrize(("case", "make_token", "changes"), [
    ("missing token", lambda f: None, {}),
    ("not a bearer token", lambda f: "Basic " + "x", {}),
    ("garbage", lambda f: "not.a.jwt", {}),
    ("forged (another key)", lambda f: f.forge(SERVICE_URL), {}),
    ("expired", lambda f: f.activity_token(SERVICE_URL, exp=int(time.time()) - HOUR,
                                           iat=int(time.time()) - 2 * HOUR), {}),
    ("not yet valid", lambda f: f.activity_token(SERVICE_URL, nbf=int(time.time()) + HOUR), {}),
    ("wrong audience", lambda f: f.activity_token(
        SERVICE_URL, aud="11111111-2222-3333-4444-555555555555"), {}),
    ("wrong issuer", lambda f: f.activity_token(SERVICE_URL, iss="https://evil.example"), {}),
    ("no serviceurl claim", lambda f: f.activity_token(SERVICE_URL, serviceurl=None), {}),
    ("serviceurl claim is not the activity's", lambda f: f.activity_token(
        "https://attacker.example/"), {}),
    ("activity's serviceUrl is not the token's", lambda f: f.activity_token(SERVICE_URL),
     {"serviceUrl": "https://attacker.example/"}),
    ("another tenant", lambda f: f.activity_token(SERVICE_URL),
     {"channelData": {"tenant": {"id": "99999999-8888-7777-6666-555555555555"}},
      "conversation": {"id": "a:1", "tenantId": "99999999-8888-7777-6666-555555555555"}}),
    ("no tenant", lambda f: f.activity_token(SERVICE_URL),
     {"channelData": {}, "conversation": {"id": "a:1"}}),
])
def test_a_request_failing_any_check_gets_401_and_nothing_is_stored(
        teams_served, fake_identity, case, make_token, changes):
    server, ctx = teams_served
    token = make_token(fake_identity)
    scheme, _, rest = (token or "").partition(" ") if token and token.startswith("Basic ") \
        else ("Bearer", "", token)
    status = post(server.url, activity(**changes), rest if scheme == "Basic" else token,
                  scheme=scheme)
    assert status == 401, case
    assert stored(ctx) == []


def test_an_unreadable_body_without_a_token_is_401(teams_served):
    server, ctx = teams_served
    assert post(server.url, b"[not json") == 401
    assert stored(ctx) == []


def test_without_slack_settings_there_is_no_slack_endpoint(teams_served):
    server, _ctx = teams_served
    request = urllib.request.Request(f"{server.url}/slack/events", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
        assert response.status == 200
