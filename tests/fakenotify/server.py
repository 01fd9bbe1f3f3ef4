"""A fake GOV.UK Notify API on loopback, for ``notifications-python-client`` to talk to.

It checks what Notify checks of every request — ``Authorization: Bearer <JWT>`` signed HS256
with the API key's secret, ``iss`` the key's service id, ``iat`` within 30 seconds — and
records the requests it accepts. ``POST /v2/notifications/email`` stores a notification (with
its ``reference``); ``GET /v2/notifications?reference=…`` lists them, as Notify does.
``fail_next(status, count)`` answers the next sends with an error, as Notify would;
``hold_seconds`` accepts a send and answers it late (to kill a sender in between).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest

SERVICE_ID = "6a4c7d8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e"
SECRET = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
API_KEY = f"ragtime_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


@dataclass
class FakeNotify:
    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted notifications
    refused: list[tuple[int, str]] = field(default_factory=list)  # (status, why)
    lookups: list[str] = field(default_factory=list)  # references asked for
    hold_seconds: float = 0.0  # keep the answer to an accepted send this long (a slow Notify)
    _failures: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def to(self, address: str) -> list[dict[str, Any]]:
        return [n for n in self.sent if n["email_address"] == address]

    # -- the server side ------------------------------------------------------------------
    def authorise(self, header: str | None) -> str | None:
        """Why the request is refused, or None."""
        if not header or not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                                options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as error:
            return f"Invalid token: {error}"
        if claims["iss"] != SERVICE_ID:
            return "Invalid token: service not found"
        if abs(time.time() - int(claims["iat"])) > 30:
            return "Invalid token: expired, check that your system clock is accurate"
        return None

    def next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None


def _handler(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _refuse(self, status: int, message: str, error: str) -> None:
            fake.refused.append((status, message))
            self._answer(status, {"status_code": status,
                                  "errors": [{"error": error, "message": message}]})

        def _authorised(self) -> bool:
            problem = fake.authorise(self.headers.get("Authorization"))
            if problem is not None:
                self._refuse(403, problem, "AuthError")
                return False
            return True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self._authorised():
                return
            if self.path != "/v2/notifications/email":
                self._refuse(404, "Not found", "NotFound")
                return
            status = fake.next_failure()
            if status is not None:
                self._refuse(status, f"injected {status}",
                             "BadRequestError" if status == 400 else "Error")
                return
            missing = [k for k in ("email_address", "template_id") if not body.get(k)]
            if missing or "@" not in str(body.get("email_address")):
                self._refuse(400, "email_address Not a valid email address",
                             "ValidationError")
                return
            notification = {"id": str(uuid.uuid4()), **body}
            with fake._lock:
                fake.sent.append(notification)
            if fake.hold_seconds:
                time.sleep(fake.hold_seconds)
            self._answer(201, {"id": notification["id"], "reference": body.get("reference"),
                               "content": {"subject": body.get("personalisation", {})
                                           .get("subject", ""), "body": ""},
                               "template": {"id": body["template_id"], "version": 1}})

        def do_GET(self) -> None:
            if not self._authorised():
                return
            url = urlparse(self.path)
            if url.path != "/v2/notifications":
                self._refuse(404, "Not found", "NotFound")
                return
            reference = (parse_qs(url.query).get("reference") or [None])[0]
            fake.lookups.append(reference or "")
            found = [{"id": n["id"], "reference": n.get("reference"), "type": "email",
                      "status": "delivered", "email_address": n["email_address"]}
                     for n in fake.sent if reference is None or n.get("reference") == reference]
            self._answer(200, {"notifications": found, "links": {}})

    return Handler


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True,
                              kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
