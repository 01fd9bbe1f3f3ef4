"""The serving process only acknowledges: what Slack sent is stored, the worker does the rest.

``ack_only`` is a global Bolt middleware of the serving app (``ragtime serve``). Slack has
already been verified (signature, workspace) by Bolt's own middleware when it runs. A request
whose answer needs no data — an event, a slash command, a decision button — is written to the
inbox (``bot.messaging.inbox``, deduplicated on its delivery) and acknowledged with an empty 200
without running any listener; the worker dispatches it through its own Bolt app
(``ragtime.worker``), where the listeners run exactly as written. Only what Slack needs
*answered* with data stays in the serving process: a form submission (validated, stored and
its follow-ups recorded before the ack) and buttons that must open a modal within the 3 seconds
a ``trigger_id`` lives (they open a light view at once and defer filling it: ``defer``).
Rows that arrive together are committed together (``bot.messaging.inbox_writer``): each
request still waits for its own row's commit.
When the inbox cannot be written (a full or read-only disk) nothing is acknowledged as received:
an event gets a 503 so that Slack sends it again, a slash command says Ragtime cannot save.

In the worker, ``relay_acks`` replaces Bolt's ``ack``: Slack got its 200 long ago, so whatever a
listener would have said in its ack (``Compiling…``, a refusal) is posted through the request's
``response_url`` instead, where the person sees it just the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltRequest, BoltResponse

from bot.collection.away_signal import looks_away
from bot.messaging.database_watch import CANNOT_SAVE, StorageFailure
from bot.messaging.inbox_writer import group_receive
from handlers.slack.answer import answer_privately
from handlers.slack.blocks.ids import OPEN_ROUND
from handlers.slack.blocks.report import APPROVE, REOPEN
from handlers.slack.blocks.risk import RISK_NO_CHANGE
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)

SLACK_REQUEST = "slack.request"  # a whole Slack request, dispatched again by the worker
# Keys of a worker request's Bolt context: whether this is the inbox item's last attempt, and
# the transient error a listener met (the worker tries the item again later).
LAST_ATTEMPT = "ragtime_last_attempt"
RETRY = "ragtime_retry"

# Buttons whose work needs no trigger_id: stored and done by the worker.
DEFERRED_ACTIONS = frozenset({APPROVE, REOPEN, OPEN_ROUND, RISK_NO_CHANGE})

# Message subtypes that are still a person writing; others (edits, deletions, bot messages,
# joins) are acknowledged and dropped.
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def ack_only(ctx: SlackContext) -> Callable[..., BoltResponse | None]:
    """The serving app's global middleware (see the module docstring)."""

    def middleware(req: BoltRequest, resp: BoltResponse, next: Callable[[], None]
                   ) -> BoltResponse | None:
        body = req.body
        delivery = _deferred_delivery(body)
        if delivery is None:
            next()
            return None
        key, worth_doing = delivery
        if worth_doing:
            try:
                stored = group_receive(ctx.engine, key=key, kind=SLACK_REQUEST,
                                       payload={"body": body})
            except StorageFailure as failure:
                return _not_stored(body, key, failure)
            if not stored:
                log.info("%s was received before; acknowledged again", key)
        return BoltResponse(status=200, body="")

    return middleware


def _not_stored(body: dict[str, Any], key: str, failure: StorageFailure) -> BoltResponse:
    """Never a 200 for what was not stored: an event gets a 503, which Slack retries; a slash
    command (not retried) tells the person; a button shows Slack's own warning."""
    log.error("%s not stored (%s): answered as not received", key, failure.said)
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": CANNOT_SAVE})
    return BoltResponse(status=503, body="")


def defer(ctx: SlackContext, *, key: str, kind: str, payload: dict[str, Any]) -> None:
    """Leave work for the worker (``kind`` is a key of ``handlers.slack.work.WORK``)."""
    group_receive(ctx.engine, key=key, kind=kind, payload=payload)


def _deferred_delivery(body: dict[str, Any]) -> tuple[str, bool] | None:
    """(inbox key, whether there is work in it) for a request the worker does; None for one
    the serving process answers itself."""
    if body.get("type") == "event_callback":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        return _event_key(body, event), _worth_doing(event)
    if body.get("command"):
        return f"slack:command:{body.get('trigger_id') or _fallback_id(body)}", True
    if body.get("type") == "block_actions":
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        ids = {action.get("action_id") for action in actions if isinstance(action, dict)}
        if ids and ids <= DEFERRED_ACTIONS:
            return f"slack:action:{body.get('trigger_id') or _fallback_id(body)}", True
    return None


def _event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    """A DM message is one message however often Slack delivers it (its channel and ts);
    any other event is its event id."""
    if event.get("type") == "message" and event.get("channel") and event.get("ts"):
        return f"slack:message:{event['channel']}:{event['ts']}"
    return f"slack:event:{body.get('event_id') or _fallback_id(body)}"


def _worth_doing(event: dict[str, Any]) -> bool:
    """An event a listener acts on: a person's DM to the app, their Home tab opened, or their
    status changed to one that says they are away (any other profile change is dropped)."""
    if event.get("type") == "user_change":
        profile = (event.get("user") or {}).get("profile") or {}
        return looks_away(profile.get("status_emoji"), profile.get("status_text"))
    if event.get("type") == "app_home_opened":
        return event.get("tab", "home") == "home" and bool(event.get("user"))
    if event.get("type") == "message":
        return is_person_in_dm(event)
    return False


def is_person_in_dm(event: dict[str, Any]) -> bool:
    """A message a person wrote in their DM with the app (not an edit, a bot, a join…)."""
    return (event.get("channel_type") == "im" and event.get("subtype") in PERSON_SUBTYPES
            and not event.get("bot_id") and bool(event.get("user"))
            and bool(event.get("channel")))


def _fallback_id(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------------------ in the worker

class RelayedAck(Ack):
    """``ack`` in the worker: what a listener acknowledges with goes to the person
    (``response_url``, or a DM when the payload has none: ``handlers.slack.answer``)."""

    def __init__(self, ctx: SlackContext | None, body: dict[str, Any],
                 respond: Callable[..., Any] | None) -> None:
        super().__init__()
        self._ctx, self._body, self._respond = ctx, body, respond

    def __call__(self, text: str | dict[str, Any] = "", blocks: Any = None, **kwargs: Any
                 ) -> BoltResponse:
        response = super().__call__(text, blocks, **kwargs)
        said = text if isinstance(text, str) else ""
        if said or blocks:
            answer_privately(self._ctx, self._body, self._respond, said, blocks=blocks)
        return response


def relay_acks(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
    """The worker app's global middleware: listeners' acks go to the person, not to Slack."""
    context["ack"] = RelayedAck(context.get("ctx"), body, context.respond)
    next()
