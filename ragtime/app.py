"""Composition root: builds the Bolt app on its context, the one error handler, and serving.

``create_app`` is used alike by ``ragtime serve``, Socket Mode and the tests. Listeners receive
the ``SlackContext`` (``ragtime.wiring``) as a Bolt argument named ``ctx`` (a global middleware
puts it in Bolt's context), so a listener is a plain function such as
``def status(ack, command, ctx): ...``.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

import handlers.slack
from bot.context import utc_now
from bot.settings import Settings, SettingsError
from handlers.slack.context import SlackContext
from handlers.slack.gateway import SlackSendError
from ragtime.http_server import make_server, serve_http, serve_socket
from ragtime.logs import configure_logging
from ragtime.wiring import slack_context
from schedules import start_scheduler

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong in Ragtime and your request was not completed. "
    "Please try again; if it keeps happening, tell the governance team (reference `{ref}`)."
)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    client: WebClient | None = None,
    socket: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[App, SlackContext]:
    """One Bolt ``App`` and its ``SlackContext``, on a migrated database.

    Raises ``SettingsError`` naming the setting when Slack settings are missing or the token is
    refused by Slack's ``auth.test``.
    """
    settings.require_slack(socket=socket)
    ctx = slack_context(settings, engine=engine, client=client, clock=clock)
    signing = settings.slack_signing_secret
    secret = signing.get_secret_value() if signing else ""
    # Our own logger, so Bolt does not copy the root level (DEBUG would log request bodies);
    # ragtime.logs.configure_logging keeps "slack_bolt" at INFO or above.
    bolt_logger = logging.getLogger("slack_bolt.App")
    bolt_logger.addFilter(_drop_token_unused_warning)
    try:
        app = App(
            logger=bolt_logger,
            client=ctx.gateway.client,
            signing_secret=secret,
            process_before_response=False,
            listener_executor=ThreadPoolExecutor(
                max_workers=settings.listener_threads, thread_name_prefix="ragtime-listener"
            ),
        )
    except BoltError as error:
        raise SettingsError(
            f"Slack refused SLACK_BOT_TOKEN at start-up (auth.test on {settings.slack_api_url}): "
            f"{error}"
        ) from None
    except OSError as error:  # includes URLError: Slack unreachable
        raise SettingsError(
            f"cannot reach Slack at SLACK_API_URL={settings.slack_api_url}: {error}"
        ) from None

    @app.use
    def provide_context(context: BoltContext, next: Callable[[], None]) -> None:
        context["ctx"] = ctx
        next()

    app.error(_error_handler(ctx))
    handlers.slack.register(app, ctx)
    return app, ctx


def _drop_token_unused_warning(record: logging.LogRecord) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN is unused when given our client; it is used, via it."""
    return "`token` will be unused" not in record.getMessage()


def _error_handler(ctx: SlackContext) -> Callable[..., None]:
    def on_error(error: Exception, body: dict[str, Any], respond: Any) -> None:
        ref = uuid.uuid4().hex[:8]
        where = describe_request(body)
        log.error("listener failed [ref %s] %s: %s", ref, where, type(error).__name__,
                  exc_info=error)
        try:
            _tell_user(ctx, body, respond, SORRY.format(ref=ref))
        except (SlackSendError, OSError, ValueError) as notify_error:
            log.warning("could not tell the user about failure %s: %s", ref, notify_error)

    return on_error


def describe_request(body: dict[str, Any]) -> str:
    """Kind, id and user of a Slack payload, without any user-written text."""
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
    user = user or body.get("user_id")
    detail = ""
    if "command" in body:
        detail = body["command"]
    elif kind == "block_actions":
        detail = ",".join(a.get("action_id", "?") for a in body.get("actions") or [])
    elif kind in ("view_submission", "view_closed"):
        detail = (body.get("view") or {}).get("callback_id", "")
    elif kind == "event_callback":
        event = body.get("event") or {}
        detail = f"{event.get('type')}/{event.get('channel_type', '')}".rstrip("/")
        user = user or event.get("user")
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return f"{kind} {detail} user={user or '?'} team={team or '?'}"


def _tell_user(ctx: SlackContext, body: dict[str, Any], respond: Any, text: str) -> None:
    if body.get("response_url") and respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    kind = body.get("type")
    if kind in ("view_submission", "block_actions"):
        user = (body.get("user") or {}).get("id")
        if user:
            ctx.gateway.post_message(user, text)
        return
    event = body.get("event") or {}
    if event.get("type") == "message" and event.get("channel_type") == "im" and event.get("user"):
        thread = event.get("thread_ts") or event.get("ts")
        ctx.gateway.post_message(event["channel"], text, thread_ts=thread)


def start_scheduler_for(ctx: SlackContext) -> object:
    """Leader election and, in the leader, the round calendar (``ragtime serve``)."""
    return start_scheduler(ctx, poll_seconds=ctx.settings.leader_poll_seconds)


# -- running -----------------------------------------------------------------------------------

def run_server(
    settings: Settings,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    socket: bool = False,
    start_scheduler: Callable[[SlackContext], object] | None = None,
) -> None:
    """``ragtime serve``: the bot over HTTP (waitress) or Socket Mode, with the scheduler.

    ``start_scheduler(ctx)`` is called once the app is built; whatever it returns is shut down
    (``.shutdown(wait=False)``) when the server stops. SIGTERM stops the server cleanly.
    """
    configure_logging(settings.log_level)
    app, ctx = create_app(settings, socket=socket)
    scheduler = start_scheduler(ctx) if start_scheduler else None
    _exit_on_sigterm()
    try:
        if socket:  # Slack over the socket; /healthz alone on host:port
            health = make_server(app, ctx, host, port, threads=2, slack_events=False)
            try:
                health.start_health_only()
                serve_socket(app, settings)
            finally:
                health.stop()
        else:
            serve_http(app, ctx, host=host, port=port, threads=settings.listener_threads)
    finally:
        shutdown = getattr(scheduler, "shutdown", None)
        if callable(shutdown):
            shutdown(wait=False)
        ctx.engine.dispose()
        log.info("Ragtime stopped")


def _exit_on_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def _stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
