"""Composition root: builds the Bolt app on its context, the one error handler, and serving.

``create_app`` is used alike by ``ragtime serve``, Socket Mode, ``ragtime worker`` and the tests.
The serving app (``role="server"``) only acknowledges: what can wait is stored for the worker
(``handlers.slack.deferral``); the worker's app (``role="worker"``) runs the listeners on what it
stored (``ragtime.worker``). Listeners receive
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
from typing import Any, Literal

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

import handlers.slack
from bot.context import AppContext, utc_now
from bot.messaging.database_watch import CANNOT_SAVE
from bot.ports.messages import TransientSendError
from bot.settings import Settings, SettingsError
from handlers.slack.after_ack import AFTER_ACK, AfterAck
from handlers.slack.context import SlackContext
from handlers.slack.deferral import LAST_ATTEMPT, RETRY, ack_only, relay_acks
from handlers.slack.gateway import SlackSendError
from handlers.slack.shapes import refuse_malformed
from ragtime.http_server import make_server, serve_http, serve_socket
from ragtime.logs import configure_logging
from ragtime.supervision import Watchdog
from ragtime.wiring import configured_engine, slack_context, teams_context
from schedules import start_scheduler
from storage.faults import StorageFailure

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
    role: Literal["server", "worker"] = "server",
) -> tuple[App, SlackContext]:
    """One Bolt ``App`` and its ``SlackContext``, on a migrated database.

    Raises ``SettingsError`` naming the setting when Slack settings are missing or the token is
    refused by Slack's ``auth.test``.
    """
    settings.require_slack(socket=socket, inbound=role == "server")
    if engine is None and role == "server":  # its worker checkpoints SQLite's WAL
        engine = configured_engine(settings, checkpoints=False)
    ctx = slack_context(settings, engine=engine, client=client, clock=clock)
    signing = settings.slack_signing_secret
    secret = signing.get_secret_value() if signing else ""
    # Our own logger, so Bolt does not copy the root level (DEBUG would log request bodies);
    # ragtime.logs.configure_logging keeps "slack_bolt" at INFO or above.
    bolt_logger = logging.getLogger("slack_bolt.App")
    bolt_logger.addFilter(_drop_token_unused_warning)
    listeners = ThreadPoolExecutor(max_workers=settings.listener_threads,
                                   thread_name_prefix="ragtime-listener")
    try:
        app = App(
            logger=bolt_logger,
            client=ctx.gateway.client,
            signing_secret=secret,
            # The worker dispatches what the serving process verified and stored.
            request_verification_enabled=role == "server",
            before_authorize=refuse_malformed,  # a payload of the wrong shape: 400
            # Slack is answered when the listener returns, not polled for every 10 ms; what a
            # listener does after its ack runs through after_ack. The worker runs each listener
            # to its end before the item counts as done.
            process_before_response=True,
            listener_executor=listeners,
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

    on_error = _error_handler(ctx)
    after_ack = _after_ack(listeners, on_error) if role == "server" else _run_now

    @app.use
    def provide_context(context: BoltContext, next: Callable[[], None]) -> None:
        context["ctx"] = ctx
        context[AFTER_ACK] = after_ack
        next()

    app.error(on_error)
    handlers.slack.register(app, ctx)  # the workspace guard first, then the listeners
    # After the guards (global middleware runs in the order it is added): only a request from
    # our workspace is stored for the worker.
    app.use(ack_only(ctx) if role == "server" else relay_acks)
    return app, ctx


def _after_ack(listeners: ThreadPoolExecutor, on_error: Callable[..., None]) -> AfterAck:
    """``after_ack`` in the serving process: the work runs on a listener thread once the
    listener has returned, and its error reaches the app's error handler as a listener's does."""
    def run(work: Callable[[], None], body: dict[str, Any], context: BoltContext) -> None:
        try:
            work()
        except Exception as error:  # as Bolt handles a listener's
            on_error(error, body, context.respond, context)

    def after_ack(work: Callable[[], None], body: dict[str, Any], context: BoltContext) -> None:
        listeners.submit(run, work, body, context)

    return after_ack


def _run_now(work: Callable[[], None], body: dict[str, Any], context: BoltContext) -> None:
    """``after_ack`` in the worker: in place (an error is the listener's own)."""
    work()


def _drop_token_unused_warning(record: logging.LogRecord) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN is unused when given our client; it is used, via it."""
    return "`token` will be unused" not in record.getMessage()


def _error_handler(ctx: SlackContext) -> Callable[..., None]:
    def on_error(error: Exception, body: dict[str, Any], respond: Any,
                 context: BoltContext) -> None:
        if (isinstance(error, TransientSendError) and LAST_ATTEMPT in context
                and not context[LAST_ATTEMPT]):
            # In the worker, with attempts left: tried again later, nobody told yet.
            log.warning("Slack was unwell (%s) for %s; trying again later", error,
                        describe_request(body))
            context[RETRY] = error
            return
        ref = uuid.uuid4().hex[:8]
        where = describe_request(body)
        if isinstance(error, StorageFailure):  # told to governance by the watchdog
            log.error("listener failed [ref %s] %s: database failing (%s)", ref, where,
                      error.said)
        else:
            log.error("listener failed [ref %s] %s: %s", ref, where, type(error).__name__,
                      exc_info=error)
        told = CANNOT_SAVE if isinstance(error, StorageFailure) else SORRY.format(ref=ref)
        try:
            _tell_user(ctx, body, respond, told)
        except (SlackSendError, OSError, ValueError) as notify_error:
            log.warning("could not tell the user about failure %s: %s", ref, notify_error)

    return on_error


def describe_request(body: object) -> str:
    """Kind, id and user of a Slack payload, without any user-written text (any shape)."""
    body = _object(body)
    event, view = _object(body.get("event")), _object(body.get("view"))
    kind = _text(body.get("type")) or ("command" if "command" in body else "unknown")
    user = _text(_object(body.get("user")).get("id")) or _text(body.get("user_id"))
    detail = ""
    if "command" in body:
        detail = _text(body.get("command"))
    elif kind == "block_actions":
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        detail = ",".join(_text(_object(a).get("action_id")) or "?" for a in actions[:5])
    elif kind in ("view_submission", "view_closed"):
        detail = _text(view.get("callback_id"))
    elif kind == "event_callback":
        detail = f"{_text(event.get('type'))}/{_text(event.get('channel_type'))}".rstrip("/")
        user = user or _text(event.get("user"))
    team = _text(body.get("team_id")) or _text(_object(body.get("team")).get("id"))
    return f"{kind} {detail} user={user or '?'} team={team or '?'}"


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int = 80) -> str:
    """An id-like field as text, cut short; anything else is empty."""
    return value[:limit] if isinstance(value, str) else ""


def _tell_user(ctx: SlackContext, body: object, respond: Any, text: str) -> None:
    body = _object(body)
    if _text(body.get("response_url")) and respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    kind = body.get("type")
    if kind in ("view_submission", "block_actions"):
        user = _text(_object(body.get("user")).get("id"))
        if user:
            ctx.gateway.post_message(user, text)
        return
    event = _object(body.get("event"))
    channel = _text(event.get("channel"))
    if (event.get("type") == "message" and event.get("channel_type") == "im"
            and _text(event.get("user")) and channel):
        thread = _text(event.get("thread_ts")) or _text(event.get("ts")) or None
        ctx.gateway.post_message(channel, text, thread_ts=thread)


def start_scheduler_for(ctx: AppContext) -> object:
    """Leader election and, in the leader, the round calendar (``ragtime worker``)."""
    return start_scheduler(ctx, poll_seconds=ctx.settings.leader_poll_seconds)


# -- running -----------------------------------------------------------------------------------

def run_server(
    settings: Settings,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    socket: bool = False,
    start_worker: Callable[[], object] | None = None,
) -> None:
    """``ragtime serve``: the bot over HTTP (waitress) or Socket Mode, acknowledging only.

    ``start_worker()`` is called once the app is built (``ragtime.worker.Supervisor``: the
    worker child that does the work, and runs the scheduler); whatever it returns is stopped
    (``.stop()``) when the server stops. A watchdog tells governance when no worker is alive or
    work waits too long. SIGTERM stops the server cleanly.
    """
    configure_logging(settings.log_level)
    if not settings.slack_enabled and settings.teams_enabled:  # Teams alone: no Slack surfaces
        if socket:
            raise SettingsError("--socket is Slack's Socket Mode; this deployment has no Slack")
        app = None
        ctx = teams_context(settings, engine=configured_engine(settings, checkpoints=False))
    else:
        app, ctx = create_app(settings, socket=socket)
    worker = start_worker() if start_worker else None
    watchdog = Watchdog(ctx).start()
    _exit_on_sigterm()
    try:
        if socket and app is not None:  # Slack over the socket; /healthz alone on host:port
            health = make_server(app, ctx, host, port, threads=2, slack_events=False)
            try:
                health.start_health_only()
                serve_socket(app, settings)
            finally:
                health.stop()
        else:
            serve_http(app, ctx, host=host, port=port, threads=settings.listener_threads)
    finally:
        watchdog.stop()
        stop = getattr(worker, "stop", None)
        if callable(stop):
            stop()
        ctx.engine.dispose()
        log.info("Ragtime stopped")


def _exit_on_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def _stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
