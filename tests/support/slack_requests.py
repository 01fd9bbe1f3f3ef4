"""Requests shaped and signed exactly as Slack sends them, and a client that POSTs them.

Signing (https://docs.slack.dev/authentication/verifying-requests-from-slack): HMAC-SHA256 of
``v0:{timestamp}:{raw body}`` with the signing secret, sent as ``X-Slack-Signature: v0=<hex>``
with ``X-Slack-Request-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "ragtime-test-signing-secret"
TEAM_ID = "T0RAGTIME"
TEAM_DOMAIN = "ragtime-test"
API_APP_ID = "A0RAGTIME"
ENTERPRISE_ID = None

_counter = itertools.count(1)


def _next_ts() -> str:
    """A message ts for things people send; its fraction starts with 9 so it never equals a
    ts the fake Slack gave a bot message in the same second (a reply would look like a parent)."""
    return f"{int(time.time())}.9{next(_counter) % 100_000:05d}"


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    raw = body.decode() if isinstance(body, bytes) else body
    base = f"v0:{timestamp}:{raw}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: str | bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(secret, ts, body)}


@dataclass(frozen=True)
class SlackRequest:
    """A raw body and its content type, as Slack would POST it."""

    body: str
    content_type: str

    @classmethod
    def form(cls, fields: dict[str, Any]) -> SlackRequest:
        return cls(urlencode(fields), "application/x-www-form-urlencoded")

    @classmethod
    def interactive(cls, payload: dict[str, Any]) -> SlackRequest:
        """Interactivity payloads arrive as a form with one ``payload`` field of JSON."""
        return cls.form({"payload": json.dumps(payload)})

    @classmethod
    def json_body(cls, data: dict[str, Any]) -> SlackRequest:
        return cls(json.dumps(data), "application/json")


# -- payload builders --------------------------------------------------------------------------

def trigger_id() -> str:
    return f"{next(_counter)}.{int(time.time())}.{uuid.uuid4().hex[:16]}"


def slash_command(
    command: str,
    text: str = "",
    *,
    user_id: str = "U0SRO0001",
    user_name: str = "sro",
    channel_id: str = "C0GOVERN",
    channel_name: str = "governance",
    response_url: str = "https://hooks.slack.com/commands/T0RAGTIME/1/xyz",
    team_id: str = TEAM_ID,
) -> SlackRequest:
    return SlackRequest.form({
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    })


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def button(action_id: str, value: str = "", *, block_id: str = "actions",
           text: str = "Button") -> dict[str, Any]:
    """One element of ``block_actions.actions`` for a clicked button."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "action_ts": _next_ts(),
    }


def selected(action_id: str, value: str, *, block_id: str = "actions",
             kind: str = "static_select", text: str | None = None) -> dict[str, Any]:
    """One element of ``block_actions.actions`` for a select / radio choice."""
    return {
        "type": kind,
        "action_id": action_id,
        "block_id": block_id,
        "selected_option": {"text": {"type": "plain_text", "text": text or value},
                            "value": value},
        "action_ts": _next_ts(),
    }


def block_actions(
    actions: list[dict[str, Any]],
    *,
    user_id: str = "U0SRO0001",
    user_name: str = "sro",
    channel_id: str = "D0SRO0001",
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0RAGTIME/1/xyz",
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A click in a message (default) or, with ``view``, in a modal or the App Home."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": actions,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0VIEW")}
        payload["view"] = view
    else:
        ts = message_ts or (message or {}).get("ts") or _next_ts()
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel_id,
                                "is_ephemeral": False}
        payload["channel"] = {"id": channel_id, "name": "directmessage"}
        payload["message"] = message or {"type": "message", "ts": ts, "text": "", "blocks": []}
        payload["response_url"] = response_url
        payload["state"] = {"values": {}}
    return SlackRequest.interactive(payload)


def input_value(value: str, kind: str = "plain_text_input") -> dict[str, Any]:
    """A ``state.values`` entry for a text input."""
    return {"type": kind, "value": value}


def selected_value(value: str, kind: str = "radio_buttons", text: str | None = None
                   ) -> dict[str, Any]:
    """A ``state.values`` entry for a radio/select input."""
    return {"type": kind, "selected_option": {
        "text": {"type": "plain_text", "text": text or value}, "value": value}}


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    private_metadata: str = "",
    user_id: str = "U0SRO0001",
    user_name: str = "sro",
    view_id: str = "V0VIEW0001",
    view_hash: str = "1700000000.abcdef",
    blocks: list[dict[str, Any]] | None = None,
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A modal submitted; ``values`` is ``{block_id: {action_id: input_value(...)}}``."""
    return SlackRequest.interactive({
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "hash": view_hash,
            "title": {"type": "plain_text", "text": "Ragtime"},
            "blocks": blocks or [],
            "state": {"values": values},
            "app_id": API_APP_ID,
            "bot_id": "B0RAGBOT",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": "",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    })


def event_callback(event: dict[str, Any], *, team_id: str = TEAM_ID,
                   event_id: str | None = None) -> SlackRequest:
    return SlackRequest.json_body({
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": "U0RAGBOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    })


def dm_message(
    text: str,
    *,
    user: str = "U0SRO0001",
    channel: str = "D0SRO0001",
    ts: str | None = None,
    thread_ts: str | None = None,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A ``message`` event in a DM with the bot (``message.im``), optionally a thread reply."""
    ts = ts or _next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "client_msg_id": str(uuid.uuid4()),
        "team": team_id,
        "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = "U0RAGBOT"
    return event_callback(event, team_id=team_id, event_id=event_id)


def app_home_opened(user: str = "U0SRO0001", *, tab: str = "home",
                    channel: str = "D0SRO0001") -> SlackRequest:
    return event_callback({
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _next_ts(),
    })


def url_verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
                     ) -> SlackRequest:
    return SlackRequest.json_body({"token": "legacy", "challenge": challenge,
                                   "type": "url_verification"})


# -- the client --------------------------------------------------------------------------------

@dataclass
class SimulatedResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    response_url: str | None = None  # of the command or click that was sent

    def json(self) -> Any:
        return json.loads(self.body)


class SlackClientSimulator:
    """Plays Slack's side: POSTs signed requests to the served app's ``/slack/events``."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str = SIGNING_SECRET,
        *,
        path: str = "/slack/events",
        timeout: float = 10.0,
        response_url: Callable[[], str] | None = None,
    ) -> None:
        """``response_url`` makes the response_url of commands and clicks (e.g. the fake's)."""
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.response_url = response_url

    def send(
        self,
        request: SlackRequest,
        *,
        signed: bool = True,
        secret: str | None = None,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> SimulatedResponse:
        """POST ``request``; ``signed=False``, a wrong ``secret`` or an old ``timestamp`` forge."""
        headers = {"Content-Type": request.content_type}
        if signed:
            headers.update(signed_headers(secret or self.signing_secret, request.body,
                                          timestamp=timestamp))
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        http_request = urllib.request.Request(self.url, data=request.body.encode(),
                                              headers=headers, method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                return SimulatedResponse(response.status, response.read().decode(),
                                         dict(response.headers))
        except urllib.error.HTTPError as error:
            with error:
                return SimulatedResponse(error.code, error.read().decode(), dict(error.headers))

    # conveniences
    def _with_response_url(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.response_url is not None and "response_url" not in kwargs:
            kwargs["response_url"] = self.response_url()
        return kwargs

    def command(self, command: str, text: str = "", **kwargs: Any) -> SimulatedResponse:
        kwargs = self._with_response_url(kwargs)
        response = self.send(slash_command(command, text, **kwargs))
        return replace(response, response_url=kwargs.get("response_url"))

    def click(self, actions: list[dict[str, Any]], **kwargs: Any) -> SimulatedResponse:
        kwargs = self._with_response_url(kwargs)
        response = self.send(block_actions(actions, **kwargs))
        return replace(response, response_url=kwargs.get("response_url"))

    def submit(self, callback_id: str, values: dict[str, dict[str, dict[str, Any]]],
               **kwargs: Any) -> SimulatedResponse:
        return self.send(view_submission(callback_id, values, **kwargs))

    def dm(self, text: str, **kwargs: Any) -> SimulatedResponse:
        return self.send(dm_message(text, **kwargs))

    def open_home(self, user: str = "U0SRO0001", **kwargs: Any) -> SimulatedResponse:
        return self.send(app_home_opened(user, **kwargs))
