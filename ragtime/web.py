"""The HTTP application (Flask): ``POST /slack/events`` to Bolt, ``GET /healthz``, ``GET
/metrics`` (Prometheus, ``ragtime.metrics``) and, when
configured, the web form of ``handlers.web``. ``ragtime.http_server`` serves it with waitress.

The form is mounted when ``RAGTIME_PUBLIC_URL`` or ``RAGTIME_SECRET_KEY`` is set (then both
must be: ``Settings.require_form`` names the missing one). Every response carries a strict
Content-Security-Policy (no inline script or style, nothing from elsewhere, never framed),
``Referrer-Policy: no-referrer`` (the link is the credential) and ``nosniff``. Failed form
requests (a bad link, a missing form token) are rate limited per client address, in memory;
behind ``RAGTIME_TRUSTED_PROXIES`` reverse proxies, the address they forwarded (ProxyFix).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from flask import Flask, Response, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.context import AppContext
from bot.messaging.database_watch import CANNOT_SAVE
from bot.messaging.health import health as backlog
from handlers.web import form_blueprint
from ragtime.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ragtime.metrics import Metrics, request_kind
from storage.faults import StorageFailure, storage_health

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
FAILED_FORM_LIMIT = "20 per minute"  # failed form requests per client address
FAILED_STATUSES = frozenset({400, 403, 404, 410})

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_web_app(bolt: App | None, ctx: AppContext, *, slack_events: bool = True) -> Flask:
    """The Flask app for ``bolt`` on ``ctx`` (``SettingsError`` when the form is half set up);
    without ``slack_events`` (Socket Mode) or without Slack (``bolt`` None: a Teams-only
    deployment) there is no ``POST /slack/events``. With Teams set up, ``POST /api/messages``."""
    web = Flask("ragtime", static_folder=None)
    slack = SlackRequestHandler(bolt) if bolt is not None else None
    metrics = Metrics(ctx)

    def events() -> Any:
        """Bolt's answer, timed and counted for ``/metrics`` by the request's kind."""
        started = time.perf_counter()
        response = _events()
        status = response[1] if isinstance(response, tuple) else response.status_code
        metrics.acked(request_kind(request.content_type, request.get_data(cache=True)),
                      int(status), time.perf_counter() - started)
        return response

    def _events() -> Any:
        """Bolt, except that a body Bolt cannot parse (not a JSON object, an event that is not
        an object, a view without a type…) is a 400, not a 500 with a traceback in the log.
        Bolt handles every error a listener raises itself, so what escapes here is a request it
        could not read at all; nothing of it is logged but its size."""
        assert slack is not None
        try:
            return slack.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError,
                RecursionError) as error:
            log.warning("unreadable Slack request (%s, %s bytes): answered 400",
                        type(error).__name__, request.content_length or "?")
            return _json(400, {"ok": False, "error": "unreadable request"})

    if slack_events and slack is not None:
        web.post(EVENTS_PATH)(events)

    @web.get(HEALTH_PATH)
    def health() -> Any:
        """200 while this process can acknowledge (its database answers and takes writes),
        with the backlog: what waits in the inbox and outbox, how old the oldest is, and the
        workers alive (``worker``: ``ok``, ``behind`` or ``none alive``). 503 when the
        database is unavailable, or failing (a write met a full or read-only disk)."""
        try:
            state = backlog(ctx.engine, now=ctx.now())
        except (SQLAlchemyError, OSError) as error:
            log.warning("health check: database unavailable (%s)", type(error).__name__)
            return _json(503, {"ok": False, "database": "unavailable"})
        worker = "none alive" if not state.worker_ok else "behind" if state.behind else "ok"
        failing = storage_health(ctx.engine).failing
        if failing is not None:
            return _json(503, {"ok": False, "database": "failing", "problem": failing.said,
                               "failing_seconds": round(time.time() - failing.since, 1),
                               "worker": worker, **state.as_dict()})
        return _json(200, {"ok": True, "database": "ok", "worker": worker, **state.as_dict()})

    @web.get(METRICS_PATH)
    def prometheus() -> Any:
        """The Prometheus text format (``ragtime.metrics``)."""
        return Response(metrics.render(), status=200, mimetype=None,
                        content_type=METRICS_CONTENT_TYPE)

    @web.errorhandler(HTTPException)
    def refused(error: HTTPException) -> Any:
        if error.code == 405 and request.path == EVENTS_PATH:
            return _json(405, {"ok": False, "error": "use POST"}, Allow="POST")
        if error.code in (404, 405):
            return _json(404, {"ok": False, "error": "not found"})
        if request.path.startswith("/form") and error.code == 429:
            return render_template("web/refused.html", title="Too many attempts",
                                   message="Too many attempts from your connection. Wait a "
                                           "minute, then open your link again."), 429
        return _json(error.code or 500, {"ok": False, "error": error.name.lower()})

    @web.errorhandler(Exception)
    def failed(error: Exception) -> Any:
        """Logged by a reference, never with the request's path (a form link is a credential)."""
        if isinstance(error, HTTPException):
            return refused(error)
        if isinstance(error, StorageFailure) and request.path.startswith("/form"):
            log.error("web form not stored: database failing (%s)", error.said)
            return render_template("web/refused.html", title="Ragtime cannot save right now",
                                   message=CANNOT_SAVE), 503
        ref = uuid.uuid4().hex[:8]
        log.error("web request failed [ref %s]: %s", ref, type(error).__name__, exc_info=error)
        if request.path.startswith("/form"):
            return render_template("web/refused.html", title="Sorry, something went wrong",
                                   message="Your update may not have been saved. Please try "
                                           f"again; if it keeps happening, tell the governance "
                                           f"team (reference {ref})."), 500
        return _json(500, {"ok": False, "error": "internal error", "ref": ref})

    @web.after_request
    def secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    if ctx.settings.form_enabled:
        ctx.settings.require_form()
        limiter = Limiter(get_remote_address, app=web, storage_uri="memory://",
                          headers_enabled=False)
        blueprint = form_blueprint(ctx)
        limiter.limit(FAILED_FORM_LIMIT,
                      deduct_when=lambda response: response.status_code in FAILED_STATUSES
                      )(blueprint)
        web.register_blueprint(blueprint)
        web.jinja_env.autoescape = True  # every template, whatever its name
        web.config["RAGTIME_PUBLIC_URL"] = ctx.settings.public_url
    if ctx.settings.teams_enabled:
        # Imported here, not at the top: the Teams SDK takes seconds to import, and a
        # Slack-only deployment (or a CLI command) never needs it.
        from handlers.teams.inbound import teams_blueprint

        web.register_blueprint(teams_blueprint(ctx))
    if hops := ctx.settings.trusted_proxies:
        # The client's address (and scheme) as the trusted proxies saw it, for the rate limit;
        # X-Forwarded-For entries beyond them could be written by anyone and are ignored.
        web.wsgi_app = ProxyFix(web.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
        web.config["RAGTIME_TRUSTED_PROXIES"] = hops
    return web


def _json(status: int, data: dict[str, Any], **headers: str) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json",
                    headers=headers)
