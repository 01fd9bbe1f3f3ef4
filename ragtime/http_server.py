"""HTTP front door: the Flask app of ``ragtime.web`` (``POST /slack/events`` to Bolt,
``GET /healthz``, the web form) served by waitress.

Socket Mode (``serve_socket``, ``ragtime.socket_mode``) needs no public URL; its process still
serves ``GET /healthz`` over HTTP (``slack_events=False``: no ``/slack/events``).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from slack_bolt import App
from waitress.server import create_server

from bot.context import AppContext
from bot.settings import Settings, SettingsError
from ragtime.socket_mode import SocketModeServer
from ragtime.web import EVENTS_PATH, HEALTH_PATH, create_web_app

log = logging.getLogger(__name__)

DEFAULT_THREADS = 16


class HttpServer:
    """A waitress server that can run in the foreground or a background thread (tests)."""

    def __init__(self, wsgi: Flask, host: str, port: int, threads: int) -> None:
        self._server = create_server(
            wsgi, host=host, port=port, threads=threads, ident="ragtime",
            # X-Forwarded-* reach the app only for ProxyFix (RAGTIME_TRUSTED_PROXIES > 0,
            # ragtime.web), which believes just the trusted hops; otherwise waitress drops them.
            clear_untrusted_proxy_headers=not wsgi.config.get("RAGTIME_TRUSTED_PROXIES"),
            channel_timeout=60,
        )
        self._thread: threading.Thread | None = None
        self.form = wsgi.config.get("RAGTIME_PUBLIC_URL")

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self._server.effective_host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def serve_forever(self) -> None:
        log.info("Ragtime listening on %s (Slack: %s%s)", self.url, self.url, EVENTS_PATH)
        if self.form:
            log.info("Web form at %s/form/<link> (public address: %s)", self.url, self.form)
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
    app: App | None, ctx: AppContext, host: str = "127.0.0.1", port: int = 0,
    threads: int = DEFAULT_THREADS, *, slack_events: bool = True,
) -> HttpServer:
    """The HTTP server, bound (port 0 picks a free one) but not yet serving."""
    return HttpServer(create_web_app(app, ctx, slack_events=slack_events), host, port, threads)


def serve_http(
    app: App | None, ctx: AppContext, host: str = "0.0.0.0", port: int = 3000,
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
