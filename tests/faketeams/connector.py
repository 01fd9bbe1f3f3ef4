"""A fake Bot Framework connector (Teams' REST API) on loopback, reached through the
``serviceUrl`` Ragtime stored for a conversation.

It implements the calls Ragtime makes — ``POST /v3/conversations``, ``POST
/v3/conversations/{id}/activities``, ``PUT`` and ``DELETE`` of an activity, ``GET
/v3/conversations/{id}/members/{member}`` — checks each carries a token the fake identity
service issued, and records what was sent. Faults for the tests: ``fail_next(status, count,
retry_after=…)`` answers the next calls with an error (429 with ``Retry-After``, 5xx…), and
``hang_next(seconds, count)`` holds the next answers (a timeout for a short client timeout).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.faketeams.serving import FakeServer


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    at: float
    status: int
    activity_id: str = ""  # the activity posted or updated


@dataclass
class FakeConnector:
    url: str = ""
    token_ok: Callable[[str], bool] = lambda _token: True
    calls: list[Call] = field(default_factory=list)  # every call answered, faults included
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # member id -> account
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> as it is now
    _faults: list[tuple[int, float | None]] = field(default_factory=list)
    _hangs: list[float] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def service_url(self) -> str:
        return self.url + "/"

    def fail_next(self, status: int, count: int = 1, *, retry_after: float | None = None
                  ) -> None:
        with self._lock:
            self._faults.extend([(status, retry_after)] * count)

    def hang_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._hangs.extend([seconds] * count)

    def add_member(self, *, user_id: str, aad_object_id: str, name: str, email: str,
                   upn: str | None = None) -> None:
        account = {"id": user_id, "aadObjectId": aad_object_id, "name": name, "email": email,
                   "userPrincipalName": upn or email, "tenantId": ""}
        self.members[user_id] = account
        self.members[aad_object_id] = account

    # -- what tests read -------------------------------------------------------------------
    def sent(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """The activities posted (accepted ones), optionally to one conversation."""
        return [call.body for call in self.calls
                if call.method == "POST" and call.path.endswith("/activities")
                and call.status == 200
                and (conversation_id is None or f"/{conversation_id}/" in call.path)]

    def posted(self, conversation_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(activity id, activity) of each accepted post to the conversation, oldest first."""
        return [(call.activity_id, call.body) for call in self.calls
                if call.method == "POST" and call.path.endswith("/activities")
                and call.status == 200 and f"/{conversation_id}/" in call.path]

    def updates(self) -> list[Call]:
        return [call for call in self.calls if call.method == "PUT" and call.status == 200]

    def wait_for(self, predicate: Callable[[FakeConnector], bool], timeout: float = 10.0
                 ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake connector never saw it: {self.calls[-5:]}")
            time.sleep(0.02)

    # -- the server side -------------------------------------------------------------------
    def answer(self, method: str, path: str, token: str | None, body: dict[str, Any]
               ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            hang = self._hangs.pop(0) if self._hangs else 0.0
        if hang:
            time.sleep(hang)
        if not token or not self.token_ok(token):
            return self._record(method, path, body, 401, {"error": {"code": "Unauthorized"}})
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            return self._record(method, path, body, status, {"error": {"code": "Throttled"}},
                                headers)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] != ["v3", "conversations"]:
            return self._record(method, path, body, 404, {})
        if method == "POST" and len(parts) == 2:
            member = (body.get("members") or [{}])[0].get("id", "")
            return self._record(method, path, body, 200, {"id": f"a:personal-{member}"})
        if method == "POST" and len(parts) == 4 and parts[3] == "activities":
            ident = f"act-{next(self._ids)}"
            self.activities[ident] = body
            return self._record(method, path, body, 200, {"id": ident}, activity_id=ident)
        if method == "PUT" and len(parts) == 5 and parts[3] == "activities":
            if parts[4] not in self.activities:
                return self._record(method, path, body, 404, {})
            self.activities[parts[4]] = body
            return self._record(method, path, body, 200, {"id": parts[4]},
                                activity_id=parts[4])
        if method == "DELETE" and len(parts) == 5 and parts[3] == "activities":
            self.activities.pop(parts[4], None)
            return self._record(method, path, body, 200, {})
        if method == "GET" and len(parts) == 5 and parts[3] == "members":
            member = self.members.get(parts[4])
            if member is None:
                return self._record(method, path, body, 404,
                                    {"error": {"code": "MemberNotFoundInConversation"}})
            return self._record(method, path, body, 200, member)
        return self._record(method, path, body, 404, {})

    def _record(self, method: str, path: str, body: dict[str, Any], status: int,
                answer: dict[str, Any], headers: dict[str, str] | None = None, *,
                activity_id: str = "") -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append(Call(method, path, body, time.monotonic(), status, activity_id))
        return status, answer, headers or {}


def _handler(fake: FakeConnector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            status, answer, headers = fake.answer(self.command, urlparse(self.path).path, token,
                                                  body if isinstance(body, dict) else {})
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


class ConnectorServer(FakeServer[FakeConnector]):
    def __init__(self, fake: FakeConnector) -> None:
        super().__init__(fake, _handler(fake))


@pytest.fixture
def fake_connector(fake_identity) -> Iterator[FakeConnector]:
    with ConnectorServer(FakeConnector(token_ok=fake_identity.issued)) as fake:
        yield fake
