"""The fake Socket Mode server speaks Slack's protocol: apps.connections.open with the app-level
token only, one-time URLs, ``hello``, envelopes shaped as Slack's, acks recorded."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.fakeslack.socket_mode import FakeSocketMode


def test_a_client_opens_a_connection_gets_envelopes_and_acks_them(fake_slack: FakeSlack):
    with FakeSocketMode(fake_slack) as socket_mode:
        web = WebClient(base_url=fake_slack.api_url)
        with pytest.raises(SlackApiError, match="invalid_auth"):
            web.apps_connections_open(app_token=BOT_TOKEN)
        url = web.apps_connections_open(app_token=fake_slack.app_token)["url"]
        assert url.startswith(socket_mode.link_url + "?ticket=")

        with connect(url) as websocket:
            hello = json.loads(websocket.recv(timeout=5))
            event = socket_mode.send("events_api", {"type": "event_callback", "event_id": "Ev1"})
            received = json.loads(websocket.recv(timeout=5))
            websocket.send(json.dumps({"envelope_id": received["envelope_id"]}))
            socket_mode.wait_ack(event)
            socket_mode.send("interactive", {"type": "view_submission"})
            submission = json.loads(websocket.recv(timeout=5))
            socket_mode.send("interactive", {"type": "block_actions"})
            click = json.loads(websocket.recv(timeout=5))
            socket_mode.send("slash_commands", {"command": "/report-status"})
            command = json.loads(websocket.recv(timeout=5))
            websocket.send(json.dumps({"envelope_id": command["envelope_id"],
                                       "payload": {"text": "ok"}}))
            socket_mode.disconnect("warning")
            goodbye = json.loads(websocket.recv(timeout=5))

        with pytest.raises(InvalidStatus), connect(url):  # a URL opens one connection only
            pass

    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0RAGTIME"}
    assert received == {"envelope_id": event.envelope_id, "type": "events_api",
                        "payload": {"type": "event_callback", "event_id": "Ev1"},
                        "accepts_response_payload": False, "retry_attempt": 0,
                        "retry_reason": ""}
    assert submission["accepts_response_payload"] is True and "retry_attempt" not in submission
    assert click["accepts_response_payload"] is False
    assert command["type"] == "slash_commands" and command["accepts_response_payload"] is True
    assert [(a.envelope_id, a.payload) for a in socket_mode.acks] == [
        (event.envelope_id, None), (command["envelope_id"], {"text": "ok"})]
    assert goodbye["type"] == "disconnect" and goodbye["reason"] == "warning"
