"""The real Ragtime app connected in Socket Mode to the fake Slack (``tests.fakeslack``).

``serve_over_socket`` builds what ``ragtime serve --socket`` runs: the Bolt app, Bolt's
websocket-client Socket Mode adapter with Ragtime's reconnecting client
(``ragtime.socket_mode``), and the health-only HTTP server. ``SocketModeSimulator`` plays the
people's side as ``SlackClientSimulator`` does over HTTP, so the scenario harness works
unchanged: each request becomes the envelope Slack would send over the socket, and the answer is
the ack (its payload as the body; no ack within the timeout reads as HTTP 504).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.engine import Engine

from bot.context import utc_now
from bot.settings import Settings
from ragtime.app import create_app
from ragtime.http_server import make_server
from ragtime.socket_mode import Backoff, SocketModeServer
from tests.fakeslack import FakeSlack
from tests.fakeslack.socket_mode import Envelope, FakeSocketMode
from tests.support.served_app import ServedApp, settings_for, start_worker, stop
from tests.support.slack_requests import SimulatedResponse, SlackClientSimulator, SlackRequest

# Fast enough for tests, the same shape as production's (doubling, capped, jittered).
TEST_BACKOFF = Backoff(first=0.05, cap=0.4)


def envelope_of(request: SlackRequest) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload Slack sends over the socket for what it would POST."""
    if request.content_type == "application/json":
        return "events_api", json.loads(request.body)
    fields = dict(parse_qsl(request.body, keep_blank_values=True))
    if "payload" in fields:
        return "interactive", json.loads(fields["payload"])
    return "slash_commands", fields


class SocketModeSimulator(SlackClientSimulator):
    """Plays Slack's side over the fake Socket Mode server (no signatures: the connection,
    opened with the app-level token, is what Slack trusts)."""

    def __init__(self, socket_mode: FakeSocketMode, *, timeout: float = 10.0,
                 response_url: Callable[[], str] | None = None) -> None:
        super().__init__("ws://socket-mode", timeout=timeout, response_url=response_url)
        self.socket_mode = socket_mode
        self.envelopes: list[Envelope] = []

    def send(self, request: SlackRequest, *, signed: bool = True, secret: str | None = None,
             timestamp: int | None = None, retry_num: int | None = None,
             retry_reason: str = "timeout") -> SimulatedResponse:
        kind, payload = envelope_of(request)
        envelope = self.socket_mode.send(kind, payload, retry_attempt=retry_num or 0,
                                         retry_reason=retry_reason)
        self.envelopes.append(envelope)
        try:
            ack = self.socket_mode.wait_ack(envelope, timeout=self.timeout)
        except AssertionError:
            return SimulatedResponse(504, "")
        return SimulatedResponse(200, json.dumps(ack.payload) if ack.payload else "")


@dataclass(kw_only=True)
class SocketServedApp(ServedApp):
    socket: SocketModeServer
    socket_mode: FakeSocketMode


def socket_settings(fake: FakeSlack, database_url: str, **overrides: object) -> Settings:
    """Settings for Socket Mode: the app-level token, and no signing secret (none is needed)."""
    values: dict[str, object] = {"slack_app_token": fake.app_token,
                                 "slack_signing_secret": None, **overrides}
    return settings_for(fake, database_url, **values)


def serve_over_socket(
    settings: Settings,
    fake: FakeSlack,
    socket_mode: FakeSocketMode,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> SocketServedApp:
    """Build the app and its worker, connect it to ``socket_mode`` and serve /healthz;
    ``stop_socket`` after."""
    app, ctx = create_app(settings, engine=engine, clock=clock, socket=True)
    worker = start_worker(settings, engine=ctx.engine, clock=clock)
    health = make_server(app, ctx, "127.0.0.1", 0, threads=2, slack_events=False).start()
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    server = SocketModeServer(app, token, backoff=TEST_BACKOFF).start()
    socket_mode.wait_connected()
    simulator = SocketModeSimulator(socket_mode, response_url=fake.response_url)
    return SocketServedApp(app, ctx, health, simulator, fake, worker, socket=server,
                           socket_mode=socket_mode)


def stop_socket(served: SocketServedApp) -> None:
    served.socket.stop()
    stop(served)
