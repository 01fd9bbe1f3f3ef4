"""A fake Slack Web API served over real HTTP for tests.

Start it with ``FakeSlack().start()`` (or the ``fake_slack`` fixture) and point a ``WebClient`` at
``fake.api_url``. Every request is recorded; injected faults (429, 5xx, stalls, rate limits) let
tests prove that retries deliver each message exactly once. A faulted request has no effect:
``calls()`` lists only the requests that took effect, ``attempts()`` lists them all.

Responses follow the shapes documented for the real methods (and used by python-slack-sdk's and
bolt-python's own mock servers), trimmed to the fields Ragtime reads.
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-ragtime-fake-bot-token"
APP_TOKEN = "xapp-1-A0RAGTIME-1-ragtime-fake-app-token"  # app-level: apps.connections.open only
TEAM_ID = "T0RAGTIME"
BOT_USER_ID = "U0RAGBOT"
BOT_ID = "B0RAGBOT"
APP_ID = "A0RAGTIME"

FAULT_KINDS = ("429", "500", "503", "timeout")


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)
    token_ok: bool = True
    fault: str | None = None  # "429", "503", "timeout", "rate_limited", … when injected
    response: dict[str, Any] | None = None
    at: float = 0.0

    @property
    def effective(self) -> bool:
        return self.fault is None and bool(self.response and self.response.get("ok"))

    def json_param(self, name: str) -> Any:
        """A param Slack accepts as JSON text or as a JSON body value (blocks, view, files)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Fault:
    kind: str  # "status" | "timeout" | "slow" | "error"
    status: int = 200
    retry_after: int | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None


class FakeSlack:
    """In-process fake of the Slack Web API (and response_url endpoints)."""

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.latency = latency
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._calls: list[Call] = []
        self._stalled: collections.Counter[str] = collections.Counter()  # ``delay_next``'s
        self._faults: dict[str, collections.deque[_Fault]] = collections.defaultdict(
            collections.deque
        )
        self._random_faults: tuple[float, tuple[str, ...], frozenset[str] | None] | None = None
        self._rng = random.Random(0)
        self._rate_limits: dict[str, int] = {}
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._ts_base = int(time.time())
        self.users: dict[str, dict[str, Any]] = {}
        self.channel_errors: dict[str, str] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        # what auth.test adds or changes, e.g. an Enterprise Grid org-wide install:
        # {"enterprise_id": "E0ORG", "is_enterprise_install": True}
        self.installation: dict[str, Any] = {}
        self.uploads: dict[str, Upload] = {}
        self.app_token = APP_TOKEN
        self.socket_mode: Any = None  # a started tests.fakeslack.socket_mode.FakeSocketMode
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeSlack is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL / WebClient(base_url=...)."""
        return self.base_url + "api/"

    def response_url(self, name: str = "") -> str:
        """A response_url served by the fake; posts to it are recorded as ``response_url``."""
        return f"{self.base_url}response/{name or uuid.uuid4().hex}"

    # -- directory -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/London",
        deleted: bool = False,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        name = name or user_id.lower()
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name or name,
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "profile": {
                "real_name": real_name or name,
                "display_name": name,
                **({"email": email} if email else {}),
            },
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def set_channel_error(self, channel: str, error: str = "channel_not_found") -> None:
        """Every post to ``channel`` fails with ``error`` (e.g. is_archived, not_in_channel)."""
        with self._lock:
            self.channel_errors[channel] = error

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The stable DM channel id the fake gives a user (``U123`` → ``D123``)."""
        return "D" + user_id[1:]

    # -- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        *,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail.

        With ``error`` the answer is HTTP 200 ``{"ok": false, "error": error}``; otherwise the
        HTTP ``status`` (429 carries ``Retry-After: retry_after``).
        """
        with self._lock:
            for _ in range(times):
                if error is not None:
                    self._faults[method].append(_Fault("error", error=error))
                else:
                    after = retry_after if status == 429 else None
                    self._faults[method].append(_Fault("status", status=status, retry_after=after))

    def delay_next(self, method: str, seconds: float, *, process: bool = False) -> None:
        """Stall the next call of ``method`` for ``seconds``.

        By default the stalled request is then dropped without an answer and has no effect (the
        client sees a timeout); with ``process=True`` it is handled normally after the delay.
        """
        with self._lock:
            self._faults[method].append(_Fault("slow" if process else "timeout", seconds=seconds))

    def fail_rate(
        self,
        p: float,
        kinds: Iterable[str] = ("429", "503"),
        *,
        seed: int = 0,
        methods: Iterable[str] | None = None,
        timeout_seconds: float = 2.0,
        retry_after: int = 0,
    ) -> None:
        """Fail a random share ``p`` of calls (reproducibly, from ``seed``) with ``kinds``."""
        chosen = tuple(kinds)
        unknown = set(chosen) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS}")
        with self._lock:
            self._rng = random.Random(seed)
            self._random_faults = (p, chosen, frozenset(methods) if methods else None)
            self._random_timeout = timeout_seconds
            self._random_retry_after = retry_after

    def rate_limit(self, method: str, per_second: int) -> None:
        """Answer 429 + ``Retry-After: 1`` when ``method`` is called more than N times a second."""
        with self._lock:
            self._rate_limits[method] = per_second

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random_faults = None
            self._rate_limits.clear()

    # -- inspection ------------------------------------------------------------------------

    def attempts(self, method: str | None = None) -> list[Call]:
        """Every request received, faulted or not."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def calls(self, method: str | None = None) -> list[Call]:
        """Requests that took effect (no injected fault, ``ok: true``)."""
        return [c for c in self.attempts(method) if c.effective]

    def told(self, response_url: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first message posted to ``response_url`` (what the person saw first, when the
        acknowledgement itself said nothing); fail after ``timeout``."""
        path = urlsplit(response_url).path
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for call in self._calls:
                    if call.method == "response_url" and call.params.get("path") == path:
                        return call.params
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"nothing was posted to {response_url} in {timeout}s")
                self._changed.wait(left)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` effective calls of ``method`` arrived; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method and c.effective]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, got {len(found)}; "
                        f"methods seen: {seen}"
                    )
                self._changed.wait(left)

    def wait_stalled(self, method: str, timeout: float = 5.0) -> None:
        """Block until a call of ``method`` that ``delay_next(..., process=True)`` stalls has
        arrived (the client is then waiting for its answer); fail after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._stalled[method], timeout):
                raise AssertionError(f"no stalled {method} call within {timeout}s")

    def assert_no_call(self, method: str, within: float = 0.3) -> None:
        time.sleep(within)
        found = self.calls(method)
        assert not found, f"unexpected {method} call(s): {[c.params for c in found]}"

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return self.messages[(channel, ts)]

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for (ch, _), m in self.messages.items() if ch == channel]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    # -- request handling (called from server threads) -------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _stall(self, method: str) -> None:
        with self._changed:
            self._stalled[method] += 1
            self._changed.notify_all()

    def _next_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if queue:
                return queue.popleft()
            limit = self._rate_limits.get(method)
            if limit is not None:
                now = time.monotonic()
                recent = self._recent[method]
                while recent and now - recent[0] >= 1.0:
                    recent.popleft()
                if len(recent) >= limit:
                    return _Fault("status", status=429, retry_after=1, error="rate_limited")
                recent.append(now)
            if self._random_faults is not None:
                p, kinds, methods = self._random_faults
                if (methods is None or method in methods) and self._rng.random() < p:
                    kind = self._rng.choice(kinds)
                    if kind == "timeout":
                        return _Fault("timeout", seconds=self._random_timeout)
                    status = int(kind)
                    after = self._random_retry_after if status == 429 else None
                    return _Fault("status", status=status, retry_after=after)
        return None

    def _new_ts(self) -> str:
        n = next(self._ts)
        return f"{self._ts_base + n // 1_000_000}.{n % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _channel_for(self, channel: str) -> str:
        return self.dm_channel_for(channel) if channel.startswith(("U", "W")) else channel

    def handle_api(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "_api_" + method.replace(".", "_"), None
        )
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            return handler(params)

    def _api_auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://ragtime-test.slack.com/",
            "team": "Ragtime Test",
            "user": "ragtime",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
            **self.installation,
        }

    def _api_apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        """The app-level token's call (checked in the handler): a one-time WebSocket URL."""
        if self.socket_mode is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_mode.new_url()}

    def expected_token(self, method: str) -> str:
        return self.app_token if method == "apps.connections.open" else self.token

    def _message_problem(self, params: dict[str, Any]) -> str | None:
        channel = params.get("channel")
        if not channel:
            return "channel_not_found"
        if channel in self.channel_errors:
            return self.channel_errors[channel]
        blocks = _json(params.get("blocks"))
        if not params.get("text") and not blocks:
            return "no_text"
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50):
            return "invalid_blocks"
        if len(params.get("text") or "") > 40_000:
            return "msg_too_long"
        return None

    def _message(self, params: dict[str, Any], channel: str, ts: str) -> dict[str, Any]:
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text") or "",
            "ts": ts,
        }
        blocks = _json(params.get("blocks"))
        if blocks:
            message["blocks"] = blocks
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        self.messages[(channel, ts)] = {**message, "channel": channel}
        return message

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._message_problem(params)
        if problem:
            return {"ok": False, "error": problem}
        channel = self._channel_for(params["channel"])
        ts = self._new_ts()
        return {"ok": True, "channel": channel, "ts": ts,
                "message": self._message(params, channel, ts)}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._message_problem(params)
        if problem:
            return {"ok": False, "error": problem}
        channel, ts = params["channel"], params.get("ts", "")
        if (channel, ts) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        previous = self.messages[(channel, ts)]
        message = self._message(params, channel, ts)
        if "thread_ts" in previous and "thread_ts" not in message:
            message["thread_ts"] = self.messages[(channel, ts)]["thread_ts"] = previous["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"],
                "message": message}

    def _api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("message_ts", "")
        if (channel, ts) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._message_problem(params)
        if problem:
            return {"ok": False, "error": problem}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "message_ts": self._new_ts()}

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            return {"ok": False, "error": "users_list_not_supplied" if not users else
                    "not_enough_users"}
        if self.users and users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_channel_for(users[0])}}

    def _api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages of a channel, newest first, since ``oldest`` (thread replies
        are not part of a channel's history, as in Slack)."""
        channel = str(params.get("channel") or "")
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        found = [m for (ch, ts), m in self.messages.items()
                 if ch == channel and float(ts) >= oldest
                 and m.get("thread_ts", ts) == ts]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    def _api_users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email") or "").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _view_problem(self, view: Any) -> str | None:
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            return "invalid_arguments"
        if len(view.get("blocks") or []) > 100:
            return "invalid_arguments"
        if view["type"] == "modal" and len((view.get("title") or {}).get("text", "")) > 24:
            return "invalid_arguments"
        if len(view.get("private_metadata") or "") > 3000:
            return "invalid_arguments"
        return None

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        stored = {
            "id": view_id or self._new_id("V"),
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:20],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
        }
        self.views[stored["id"]] = stored
        return stored

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _json(params.get("view"))
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        problem = self._view_problem(view)
        if problem:
            return {"ok": False, "error": problem}
        return {"ok": True, "view": self._store_view(view)}

    def _api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._api_views_open(params)

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _json(params.get("view"))
        problem = self._view_problem(view)
        if problem:
            return {"ok": False, "error": problem}
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next((v["id"] for v in self.views.values()
                            if v.get("external_id") == params["external_id"]), None)
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return {"ok": True, "view": self._store_view(view, view_id)}

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _json(params.get("view"))
        problem = self._view_problem(view)
        if problem:
            return {"ok": False, "error": problem}
        user_id = str(params.get("user_id") or "")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        stored = self._store_view(view, (self.homes.get(user_id) or {}).get("id"))
        self.homes[user_id] = stored
        return {"ok": True, "view": stored}

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._new_id("F")
        self.uploads[file_id] = Upload(file_id, params["filename"], int(params["length"]))
        return {"ok": True, "file_id": file_id,
                "upload_url": f"{self.base_url}upload/v1/{file_id}"}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _json(params.get("files")) or []
        channel = params.get("channel_id") or params.get("channels")
        if channel and channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        done = []
        for item in files:
            upload = self.uploads.get(item.get("id"))
            if upload is None or upload.data is None:
                return {"ok": False, "error": "file_not_found"}
            upload.title = item.get("title") or upload.filename
            upload.channel = channel
            upload.initial_comment = params.get("initial_comment")
            upload.thread_ts = params.get("thread_ts")
            done.append({"id": upload.file_id, "name": upload.filename, "title": upload.title,
                         "size": len(upload.data)})
        if channel and params.get("initial_comment"):
            ts = self._new_ts()
            self._message({"text": params["initial_comment"], "thread_ts":
                           params.get("thread_ts")}, channel, ts)
        return {"ok": True, "files": done}

    def _store_upload(self, file_id: str, data: bytes) -> dict[str, Any]:
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return {"ok": False, "error": "file_not_found"}
            upload.data = data
        return {"ok": True}

    def uploaded_files(self) -> list[Upload]:
        """Files whose upload was completed into a channel."""
        with self._lock:
            return [u for u in self.uploads.values() if u.data is not None and u.channel]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeSlack
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        fake = self.server_fake
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        if url.path.startswith("/upload/v1/"):  # the raw file bytes of files_upload_v2
            file_id = url.path.rsplit("/", 1)[-1]
            result = fake._store_upload(file_id, body)
            fake._record(Call("upload", {"file_id": file_id}, headers, {file_id: body},
                              response=result, at=time.time()))
            self._send(200 if result["ok"] else 404, b"OK - %d" % len(body), "text/plain")
            return
        params, files = _parse_body(self.headers.get("Content-Type", ""), body)
        for key, value in parse_qsl(url.query):
            params.setdefault(key, value)
        if url.path.startswith("/response/"):
            result = {"ok": True}
            fake._record(Call("response_url", {**params, "path": url.path}, headers,
                              response=result, at=time.time()))
            self._send(200, b"ok", "text/plain")
            return
        if not url.path.startswith("/api/"):
            self._send(404, b"not found", "text/plain")
            return

        method = url.path[len("/api/"):]
        token = _bearer(self.headers.get("Authorization")) or params.pop("token", None)
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake._next_fault(method)
        if fault is not None and fault.kind == "timeout":
            fake._record(Call(method, params, headers, files, fault="timeout", at=time.time()))
            fake._stopping.wait(fault.seconds)
            self.close_connection = True  # no answer at all: the client times out
            return
        if fault is not None and fault.kind == "slow":
            fake._stall(method)
            fake._stopping.wait(fault.seconds)
            fault = None
        if fault is not None:
            if fault.kind == "error":
                result = {"ok": False, "error": fault.error}
                fake._record(Call(method, params, headers, files, fault=fault.error,
                                  response=result, at=time.time()))
                self._send_json(200, result)
                return
            error = "ratelimited" if fault.status == 429 else "service_unavailable"
            result = {"ok": False, "error": error}
            fake._record(Call(method, params, headers, files,
                              fault=fault.error or str(fault.status), response=result,
                              at=time.time()))
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._send_json(fault.status, result, extra)
            return

        expected = fake.expected_token(method)
        if not token:
            result = {"ok": False, "error": "not_authed"}
        elif token != expected:
            result = {"ok": False, "error": "invalid_auth"}
        else:
            result = fake.handle_api(method, params)
        fake._record(Call(method, params, headers, files, token_ok=token == expected,
                          response=result, at=time.time()))
        self._send_json(200, result)

    def _send_json(self, status: int, data: dict[str, Any],
                   extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8", extra)

    def _send(self, status: int, body: bytes, content_type: str,
              extra: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if kind == "application/json":
        data = json.loads(body)
        return (data if isinstance(data, dict) else {"_json": data}), {}
    if kind == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                files[part.get_filename()] = payload
            elif name:
                params[name] = payload.decode("utf-8")
        return params, files
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}
