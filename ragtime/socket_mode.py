"""Socket Mode: Slack delivers over an outbound WebSocket (``ragtime serve --socket``).

Bolt's ``websocket-client`` adapter, not its built-in client: on a connection that ends without
a WebSocket close frame (a proxy or firewall dropping it) the built-in client keeps reading an
empty socket until its ping checks give up, about a minute with Bolt's defaults, while
``websocket-client`` sees the end at once and reconnects. Both reconnect on Slack's
``disconnect`` messages. Neither backs off when ``apps.connections.open`` fails, so
``ReconnectingClient`` retries it with capped exponential backoff and logs each failure (never
the token, nor the one-time WebSocket URL).

Envelopes that Slack redelivers after a reconnect (``retry_attempt`` > 0, the same ``event_id``)
reach the listeners like the first delivery; the listeners store each delivery once.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.websocket_client import SocketModeClient

from bot.settings import SettingsError

log = logging.getLogger(__name__)

# apps.connections.open errors no retry can fix: the app-level token or the app's setup is wrong.
REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                     "token_expired", "not_allowed_token_type", "missing_scope", "no_permission"})


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts to open a connection: ``first`` doubling up to ``cap`` seconds,
    each drawn between half and all of that (jitter, so replicas do not retry in step)."""

    first: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.first * 2 ** max(0, attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


class ReconnectingClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client, retrying ``apps.connections.open``."""

    def __init__(self, app_token: str, *, backoff: Backoff | None = None, **kwargs: Any) -> None:
        super().__init__(app_token, **kwargs)
        self.backoff = backoff or Backoff()
        self.connected_once = False
        self._opened_at = 0.0  # when the newest session was created (it connects in a thread)
        self._closing = threading.Event()
        self.on_message_listeners.append(_log_disconnect_request)
        self.on_open_listeners.append(self._opened)

    def issue_new_wss_url(self) -> str:
        attempt = 0
        while True:
            try:
                url = super().issue_new_wss_url()
            except (SlackApiError, OSError) as error:
                reason = _reason(error)
                if not self.connected_once and reason in REFUSED:
                    raise SettingsError(
                        f"Slack refused SLACK_APP_TOKEN (apps.connections.open: {reason}); it "
                        "must be the app's app-level token with the connections:write scope"
                    ) from None
                if self.closed:
                    raise
                attempt += 1
                delay = self.backoff.delay(attempt)
                log.warning("Socket Mode: cannot open a connection (apps.connections.open: %s); "
                            "retrying in %.1f s (attempt %d)", reason, delay, attempt)
                if self._closing.wait(delay):
                    raise
            else:
                if attempt:
                    log.info("Socket Mode: apps.connections.open answered after %d failed "
                             "attempt(s)", attempt)
                return url

    def connect(self) -> None:
        self._opened_at = time.monotonic()
        super().connect()

    def _monitor_current_session(self) -> None:
        """slack_sdk's monitor replaces a session that is not connected yet, and runs first
        as the first session is created: it would open two or three connections at start-up.
        Give a new session one ping interval to connect (a dropped one reconnects at once
        from its close handler, not from here)."""
        if time.monotonic() - self._opened_at < self.ping_interval:
            return
        super()._monitor_current_session()

    def _opened(self, _ws: object) -> None:
        self.connected_once = True
        log.info("Socket Mode: connected to Slack")

    def close(self) -> None:
        self._closing.set()
        super().close()


class _Handler(SocketModeHandler):
    """Bolt's websocket-client handler (``handle`` runs the Bolt app and acks) on our client
    (Bolt's ``__init__`` would build a client of its own)."""

    def __init__(self, app: App, client: ReconnectingClient) -> None:
        self.app = app
        self.app_token = client.app_token
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"HTTP {error.response.status_code}")
    return type(error).__name__


def _log_disconnect_request(_ws: object, message: str) -> None:
    if '"disconnect"' not in message[:64]:
        return
    try:
        reason = json.loads(message).get("reason")
    except ValueError:
        return
    log.info("Socket Mode: Slack asked for a new connection (reason %s); reconnecting", reason)


class SocketModeServer:
    """Ragtime connected to Slack in Socket Mode; ``start`` returns once the first connection is
    being opened (``apps.connections.open`` answered), ``stop`` closes it. ``concurrency``
    envelopes are dispatched to Bolt at once (``RAGTIME_LISTENER_THREADS``, as HTTP's threads)."""

    def __init__(self, app: App, app_token: str, *, backoff: Backoff | None = None,
                 ping_interval: float = 10.0, concurrency: int = 10) -> None:
        self.client = ReconnectingClient(
            app_token, backoff=backoff, logger=app.logger, web_client=app.client,
            ping_interval=ping_interval, concurrency=concurrency)
        self.handler = _Handler(app, self.client)

    def start(self) -> SocketModeServer:
        self.handler.connect()
        return self

    def stop(self) -> None:
        self.handler.close()

    def serve_forever(self) -> None:
        """Connect and block until interrupted (Ctrl-C or SIGTERM)."""
        self.start()
        log.info("Ragtime connecting to Slack in Socket Mode")
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()
