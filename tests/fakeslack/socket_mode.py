"""A fake of Slack's Socket Mode side: the WebSocket server ``apps.connections.open`` points at.

``FakeSocketMode(fake_slack).start()`` serves WebSockets on ``ws://127.0.0.1:<port>/link/`` (the
``websockets`` library, threads) and makes the fake Web API's ``apps.connections.open`` answer
with a one-time URL there, as Slack answers with ``wss://wss-primary.slack.com/link/?ticket=…``.
It speaks the protocol of https://docs.slack.dev/apis/events-api/using-socket-mode: a ``hello``
on every new connection; envelopes (``events_api``, ``interactive``, ``slash_commands``) with
``envelope_id``, ``payload``, ``accepts_response_payload`` and, for events, ``retry_attempt``
and ``retry_reason``; acks (``{"envelope_id": …, "payload": …}``) recorded.

Like Slack it queues envelopes while no connection is open, delivers to the newest connection,
and redelivers an Events API envelope that was sent but not acknowledged when its connection
ended (``retry_attempt`` + 1, a new ``envelope_id``, the same ``event_id``); interactive and
slash-command envelopes are never redelivered. Tests can ask the app to reconnect (a
``disconnect`` message), drop a connection abruptly (no close frame), lose an ack on the way
(the connection drops before Slack sees it) and make ``apps.connections.open`` fail for a
while (``fake_slack.fail_next("apps.connections.open", …)``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakeslack.server import APP_ID, FakeSlack

ENVELOPE_TYPES = ("events_api", "interactive", "slash_commands")
# interactive payloads whose ack may carry a response (e.g. a modal's response_action: errors)
_RESPONDING_INTERACTIONS = ("view_submission", "block_suggestion")


@dataclass(frozen=True)
class Envelope:
    """One envelope as sent over the socket (a redelivery is a new envelope)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    delivery: int = 0  # the same for an envelope and its redeliveries

    def message(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            data["retry_attempt"] = self.retry_attempt
            data["retry_reason"] = self.retry_reason
        return data


@dataclass(frozen=True)
class Ack:
    """An acknowledgement received: the envelope it answers and the response payload, if any."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    at: float


@dataclass
class _Connection:
    number: int
    websocket: ServerConnection
    opened_at: float
    closed: threading.Event = field(default_factory=threading.Event)
    lose_acks: int = 0  # the next N acks are "lost": not recorded, and the connection drops


class FakeSocketMode:
    """Slack's Socket Mode endpoint for one app, paired with a ``FakeSlack`` Web API."""

    def __init__(self, web: FakeSlack | None, *, host: str = "127.0.0.1",
                 refresh_grace: float = 2.0, check_tickets: bool = True) -> None:
        """``refresh_grace``: after a ``disconnect`` message, how long the old connection stays
        open for the app to open a new one (Slack gives about 10 s). Without ``web`` (a fake
        Web API in another process, given ``LinkURLs(fake.link_url)``) tickets cannot be
        checked: pass ``check_tickets=False``."""
        self.web = web
        self.check_tickets = check_tickets
        self._host = host
        self.refresh_grace = refresh_grace
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._numbers = itertools.count(1)
        self._deliveries = itertools.count(1)
        self._queue: list[Envelope] = []  # waiting for a connection
        self._unacked: dict[str, tuple[Envelope, int]] = {}  # envelope_id → (sent, connection)
        self.sent: list[tuple[Envelope, int]] = []  # every envelope sent, and on which connection
        self.sent_at: dict[str, float] = {}  # envelope_id → time.monotonic() as it was written
        self.acks: list[Ack] = []
        self.refused: list[str] = []  # handshakes refused (unknown or reused ticket)
        self._server: Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        self._server = serve(self._session, self._host, 0, process_request=self._check_ticket,
                             ping_interval=None, close_timeout=1)
        self._spawn(self._server.serve_forever, "fake-socket-mode")
        self._spawn(self._dispatch, "fake-socket-mode-dispatch")
        if self.web is not None:
            self.web.socket_mode = self
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        for connection in self.connections(open_only=True):
            _drop(connection.websocket)
        if self._server is not None:
            self._server.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.web is not None and self.web.socket_mode is self:
            self.web.socket_mode = None

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- apps.connections.open ---------------------------------------------------------------

    @property
    def link_url(self) -> str:
        """``ws://127.0.0.1:<port>/link/``: the endpoint, without a ticket."""
        assert self._server is not None, "FakeSocketMode is not started"
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/"

    def new_url(self) -> str:
        """A one-time WebSocket URL, as ``apps.connections.open`` returns."""
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"{self.link_url}?ticket={ticket}&app_id={APP_ID}"

    def _check_ticket(self, _connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self._lock:
            if url.path.rstrip("/") == "/link" and (ticket in self._tickets
                                                    or not self.check_tickets):
                self._tickets.discard(ticket)
                return None
            self.refused.append(request.path)
        return _connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    # -- a connection ----------------------------------------------------------------------

    def _session(self, websocket: ServerConnection) -> None:
        connection = _Connection(next(self._numbers), websocket, time.monotonic())
        try:
            websocket.send(json.dumps({
                "type": "hello", "num_connections": len(self.connections(open_only=True)) + 1,
                "debug_info": {"host": "fake-applink-1", "build_number": 1,
                               "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }))
            with self._changed:
                self._connections.append(connection)
                self._changed.notify_all()
            for raw in websocket:
                self._received(connection, raw)
        except (ConnectionClosed, OSError):
            pass
        finally:
            self._ended(connection)

    def _received(self, connection: _Connection, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            return
        with self._changed:
            if connection.lose_acks > 0:
                connection.lose_acks -= 1
                lost = True
            else:
                lost = False
                self._unacked.pop(envelope_id, None)
                self.acks.append(Ack(envelope_id, message.get("payload"), connection.number,
                                     time.monotonic()))
                self._changed.notify_all()
        if lost:
            _drop(connection.websocket)

    def _ended(self, connection: _Connection) -> None:
        """The connection is gone: Events API envelopes sent on it and not acknowledged are
        redelivered (on the next connection); others are dropped, as Slack does."""
        with self._changed:
            connection.closed.set()
            for envelope_id, (envelope, number) in list(self._unacked.items()):
                if number != connection.number:
                    continue
                del self._unacked[envelope_id]
                if envelope.type == "events_api" and not self._stopping.is_set():
                    self._queue.append(Envelope(
                        envelope_id=_new_envelope_id(), type=envelope.type,
                        payload=envelope.payload,
                        accepts_response_payload=envelope.accepts_response_payload,
                        retry_attempt=envelope.retry_attempt + 1, retry_reason="timeout",
                        delivery=envelope.delivery))
            self._changed.notify_all()

    # -- delivering ------------------------------------------------------------------------

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0,
             retry_reason: str = "", accepts_response_payload: bool | None = None) -> Envelope:
        """Queue an envelope for the newest open connection; returns it (not waiting)."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {kind!r}; use one of {ENVELOPE_TYPES}")
        if accepts_response_payload is None:
            accepts_response_payload = kind == "slash_commands" or (
                kind == "interactive" and payload.get("type") in _RESPONDING_INTERACTIONS)
        envelope = Envelope(_new_envelope_id(), kind, payload, accepts_response_payload,
                            retry_attempt, retry_reason if retry_attempt else "",
                            next(self._deliveries))
        with self._changed:
            self._queue.append(envelope)
            self._changed.notify_all()
        return envelope

    def deliver(self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0,
                **options: Any) -> Ack:
        """Send an envelope and wait for its ack (of this envelope or of a redelivery)."""
        return self.wait_ack(self.send(kind, payload, **options), timeout=timeout)

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            with self._changed:
                target = self._current()
                if not self._queue or target is None:
                    self._changed.wait(0.2)
                    continue
                envelope = self._queue.pop(0)
                self._unacked[envelope.envelope_id] = (envelope, target.number)
                self.sent.append((envelope, target.number))
                # under the lock, so _ended() (which requeues unacknowledged events) runs after
                message = json.dumps(envelope.message())
                self.sent_at[envelope.envelope_id] = time.monotonic()
                with contextlib.suppress(ConnectionClosed, OSError):
                    target.websocket.send(message)

    def _current(self) -> _Connection | None:
        live = [c for c in self._connections if not c.closed.is_set()]
        return live[-1] if live else None

    # -- connection faults -----------------------------------------------------------------

    def disconnect(self, reason: str = "refresh_requested") -> _Connection:
        """Send ``{"type": "disconnect", "reason": …}`` on the newest connection; it is closed
        when the app opened a newer one or after ``refresh_grace`` seconds."""
        connection = self.wait_connected()
        connection.websocket.send(json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-applink-1"}}))

        def close_later() -> None:
            deadline = time.monotonic() + self.refresh_grace
            with self._changed:
                while time.monotonic() < deadline and self._current() is connection:
                    self._changed.wait(max(0.0, deadline - time.monotonic()))
            with contextlib.suppress(ConnectionClosed, OSError):
                connection.websocket.close(1001, "refresh")

        self._spawn(close_later, "fake-socket-mode-refresh")
        return connection

    def drop(self) -> _Connection:
        """End the newest connection without a WebSocket close frame (the TCP connection just
        ends), as when a proxy or a firewall drops it."""
        connection = self.wait_connected()
        _drop(connection.websocket)
        return connection

    def lose_next_ack(self) -> None:
        """The next ack on the newest connection never reaches 'Slack': the connection drops as
        it arrives, so the envelope counts as unacknowledged (events are redelivered)."""
        connection = self.wait_connected()
        with self._lock:
            connection.lose_acks += 1

    # -- inspection ------------------------------------------------------------------------

    def connections(self, *, open_only: bool = False) -> list[_Connection]:
        with self._lock:
            return [c for c in self._connections if not (open_only and c.closed.is_set())]

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> _Connection:
        """Wait until ``count`` connections were opened in all and one is open; the newest.
        (30 s: a reconnect waits on a lock slack_sdk holds for up to 5 s, longer on a busy
        machine running the suite in parallel; a passing wait returns at once.)"""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                current = self._current()
                if current is not None and len(self._connections) >= count:
                    return current
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} Socket Mode connection(s) within {timeout}s, "
                        f"{len(self._connections)} opened, "
                        f"{len(self.connections(open_only=True))} open")
                self._changed.wait(left)

    def ack_for(self, envelope: Envelope) -> Ack | None:
        """The ack of ``envelope`` or of one of its redeliveries."""
        with self._lock:
            ids = {e.envelope_id for e, _ in self.sent if e.delivery == envelope.delivery}
            return next((a for a in self.acks if a.envelope_id in ids), None)

    def wait_ack(self, envelope: Envelope, timeout: float = 10.0) -> Ack:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                ack = self.ack_for(envelope)
                if ack is not None:
                    return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no ack for {envelope.type} envelope {envelope.envelope_id} "
                        f"within {timeout}s")
                self._changed.wait(left)

    def deliveries_of(self, envelope: Envelope) -> list[Envelope]:
        """``envelope`` and its redeliveries, in the order sent."""
        with self._lock:
            return [e for e, _ in self.sent if e.delivery == envelope.delivery]


def _new_envelope_id() -> str:
    return str(uuid.uuid4())


def _drop(websocket: ServerConnection) -> None:
    """Shut the TCP connection down under the WebSocket (wakes its reader; no close frame)."""
    with contextlib.suppress(OSError):
        websocket.socket.shutdown(socket.SHUT_RDWR)


class LinkURLs:
    """What ``apps.connections.open`` answers when the fake Web API runs in another process
    than the ``FakeSocketMode`` (``check_tickets=False``): URLs with fresh tickets at ``link``."""

    def __init__(self, link: str) -> None:
        self.link = link

    def new_url(self) -> str:
        return f"{self.link}?ticket={uuid.uuid4().hex}&app_id={APP_ID}"
