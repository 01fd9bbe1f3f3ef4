"""HTTP front door: ``POST /slack/events`` to Bolt, ``GET /healthz``, served by waitress.

Socket Mode (``serve_socket``, ``ragtime.socket_mode``) needs no public URL; its process still
serves ``GET /healthz`` over HTTP (``slack_events=False``: no ``/slack/events``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from waitress.server import create_server

from bot.context import AppContext
from bot.settings import Settings, SettingsError
from ragtime.socket_mode import SocketModeServer

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_THREADS = 16

StartResponse = Callable[..., Any]


class RagtimeWSGI:
    """The WSGI application: Slack requests to Bolt (which checks signatures), health, 404."""

    def __init__(self, app: App, ctx: AppContext, *, slack_events: bool = True) -> None:
        self.ctx = ctx
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH) if slack_events else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and self.bolt is not None:
            if method != "POST":
                return _json(start_response, 405, {"ok": False, "error": "use POST"},
                             [("Allow", "POST")])
            return self.slack(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self.health(start_response)
        return _json(start_response, 404, {"ok": False, "error": "not found"})

    def slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Bolt, except that a body Bolt cannot parse (not a JSON object, an event that is not
        an object, a view without a type…) is a 400, not a 500 with a traceback in the log.

        Bolt handles every error a listener raises itself, so what escapes here is a request
        it could not read at all; nothing of it is logged but its size."""
        started: list[bool] = []

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            started.append(True)
            return start_response(status, headers, *exc_info)

        assert self.bolt is not None
        try:
            return self.bolt(environ, start)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            if started:
                raise
            log.warning("unreadable Slack request (%s, %s bytes): answered 400",
                        type(error).__name__, environ.get("CONTENT_LENGTH") or "?")
            return _json(start_response, 400, {"ok": False, "error": "unreadable request"})

    def health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self.ctx.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as error:
            log.warning("health check: database unavailable (%s)", type(error).__name__)
            return _json(start_response, 503, {"ok": False, "database": "unavailable"})
        return _json(start_response, 200, {"ok": True, "database": "ok"})


def _json(
    start_response: StartResponse,
    status: int,
    data: dict[str, Any],
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
               503: "Service Unavailable"}
    body = json.dumps(data).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               ("Cache-Control", "no-store"), *(extra or [])]
    start_response(f"{status} {reasons[status]}", headers)
    return [body]


class HttpServer:
    """A waitress server that can run in the foreground or a background thread (tests)."""

    def __init__(self, wsgi: RagtimeWSGI, host: str, port: int, threads: int) -> None:
        self._server = create_server(
            wsgi, host=host, port=port, threads=threads, ident="ragtime",
            clear_untrusted_proxy_headers=True, channel_timeout=60,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self._server.effective_host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def serve_forever(self) -> None:
        log.info("Ragtime listening on %s (Slack: %s%s)", self.url, self.url, EVENTS_PATH)
        self._server.run()

    def start_health_only(self) -> HttpServer:
        log.info("Ragtime health check on %s%s", self.url, HEALTH_PATH)
        return self.start()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._server.run, name="ragtime-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close connections, end the loop and the worker threads."""
        from waitress import wasyncore

        server = self._server
        if self._thread is not None and self._thread.is_alive():
            # close from inside the event loop thread, which then finds its map empty and returns
            try:
                server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            except OSError:  # the trigger is already closed: the loop is ending anyway
                wasyncore.close_all(server._map, ignore_all=True)
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(server._map, ignore_all=True)
        server.task_dispatcher.shutdown(timeout=5)

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def make_server(
    app: App, ctx: AppContext, host: str = "127.0.0.1", port: int = 0,
    threads: int = DEFAULT_THREADS, *, slack_events: bool = True,
) -> HttpServer:
    """The HTTP server, bound (port 0 picks a free one) but not yet serving."""
    return HttpServer(RagtimeWSGI(app, ctx, slack_events=slack_events), host, port, threads)


def serve_http(
    app: App, ctx: AppContext, host: str = "0.0.0.0", port: int = 3000,
    threads: int = DEFAULT_THREADS,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    make_server(app, ctx, host, port, threads).serve_forever()


def serve_socket(app: App, settings: Settings) -> None:
    """Socket Mode: Slack delivers over a WebSocket; needs SLACK_APP_TOKEN (``xapp-…``)."""
    if settings.slack_app_token is None:
        raise SettingsError("missing setting(s): SLACK_APP_TOKEN (needed for Socket Mode)")
    SocketModeServer(app, settings.slack_app_token.get_secret_value(),
                     concurrency=settings.listener_threads).serve_forever()
