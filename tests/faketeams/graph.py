"""A fake of the Microsoft Graph calls Ragtime makes with ``RAGTIME_TEAMS_GRAPH=true``, on
loopback (``RAGTIME_TEAMS_GRAPH_URL``): ``GET /v1.0/users/{email}`` (the tenant's users, by
email or UPN), ``GET /v1.0/appCatalogs/teamsApps?$filter=externalId eq '…'`` (the
organisation's catalog) and ``POST /v1.0/users/{id}/teamwork/installedApps`` (201, or 409 when
the app is installed already). Each call must carry a token the fake identity service issued;
``refuse_next(status)`` answers the next call with an error (403: a permission not granted)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.faketeams.identity import APP_ID
from tests.faketeams.serving import FakeServer

CATALOG_ID = "b1c5353a-7aca-41b3-830f-27d5218fe0e5"


@dataclass
class FakeGraph:
    app_id: str
    url: str = ""
    token_ok: Callable[[str], bool] = lambda _token: True
    users: dict[str, str] = field(default_factory=dict)  # email (lower) -> AAD object id
    installed: list[tuple[str, str]] = field(default_factory=list)  # (user id, catalog app id)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    _refusals: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, email: str, aad: str | None = None) -> str:
        aad = aad or str(uuid.uuid4())
        self.users[email.lower()] = aad
        return aad

    def refuse_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._refusals.extend([status] * count)

    def answer(self, method: str, target: str, token: str | None,
               body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not token or not self.token_ok(token):
            return 401, {"error": {"code": "InvalidAuthenticationToken"}}
        with self._lock:
            if self._refusals:
                status = self._refusals.pop(0)
                return status, {"error": {"code": "Authorization_RequestDenied",
                                          "message": "Insufficient privileges"}}
        parsed = urlparse(target)
        parts = [unquote(part) for part in parsed.path.strip("/").split("/")]
        if method == "GET" and parts[:2] == ["v1.0", "users"] and len(parts) == 3:
            aad = self.users.get(parts[2].lower())
            return (200, {"id": aad}) if aad else (404, {"error": {"code": "Request_"
                                                                           "ResourceNotFound"}})
        if method == "GET" and parts == ["v1.0", "appCatalogs", "teamsApps"]:
            wanted = parse_qs(parsed.query).get("$filter", [""])[0]
            found = wanted == f"externalId eq '{self.app_id}'"
            return 200, {"value": [{"id": CATALOG_ID, "externalId": self.app_id,
                                    "displayName": "Ragtime"}] if found else []}
        if (method == "POST" and parts[:2] == ["v1.0", "users"] and len(parts) == 5
                and parts[3:] == ["teamwork", "installedApps"]):
            bound = str(body.get("teamsApp@odata.bind") or "")
            if not bound.endswith(f"/v1.0/appCatalogs/teamsApps/{CATALOG_ID}"):
                return 400, {"error": {"code": "BadRequest", "message": "unknown app"}}
            with self._lock:
                if (parts[2], CATALOG_ID) in self.installed:
                    return 409, {"error": {"code": "Conflict"}}
                self.installed.append((parts[2], CATALOG_ID))
            return 201, {}
        return 404, {"error": {"code": "NotFound"}}


def _handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            status, answer = fake.answer(self.command, self.path, token,
                                         body if isinstance(body, dict) else {})
            with fake._lock:
                fake.calls.append((self.command, self.path, status))
            data = json.dumps(answer).encode() if status != 201 else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    return Handler


class GraphServer(FakeServer[FakeGraph]):
    def __init__(self, fake: FakeGraph) -> None:
        super().__init__(fake, _handler(fake))


@pytest.fixture
def fake_graph(fake_identity) -> Iterator[FakeGraph]:
    with GraphServer(FakeGraph(app_id=APP_ID, token_ok=fake_identity.issued)) as fake:
        yield fake
