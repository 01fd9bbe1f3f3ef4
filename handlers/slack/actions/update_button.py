"""A click on "Submit update" / "Change update" / a RAG button: open the update form.

``views.open`` comes first, in the serving process, with a light loading view: the
``trigger_id`` works once and only for 3 seconds. Filling it is left to the worker
(``fill_update_form``, through ``handlers.slack.deferral.defer``), which replaces the loading
view with the form (``views.update``) after the database work. The button value only names the
deliverable and period; the acting user is ``body["user"]["id"]`` and may see the form only if
``bot.framework.permissions`` says they may submit for that deliverable
(``bot.collection.submissions.update_form_for`` decides and reads what the form shows).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.submissions import FormOffer, update_form_for
from bot.messaging.database_watch import CANNOT_SAVE, StorageFailure
from handlers.slack.blocks.ids import (
    BadValue,
    FormMetadata,
    UpdateRequest,
    parse_update_button,
)
from handlers.slack.blocks.modal import loading_view, notice_view, update_form
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext
from handlers.slack.deferral import defer
from handlers.slack.gateway import PermanentSendError

log = logging.getLogger(__name__)

OUT_OF_DATE = ("This button is out of date or was not made by Ragtime, so it cannot open a "
               "form. Use the buttons on your latest prompt message or in Ragtime's Home tab.")
NOT_YOURS = ("You are not an SRO or delegate of this deliverable, so you cannot update it. "
             "If that is wrong, ask a governance lead to correct the framework.")
GONE = "This deliverable is no longer part of the framework, so it needs no update."


FILL_FORM = "slack.fill_form"
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})
TOO_SLOW = ("Slack did not let me open the form in time (it allows 3 seconds). Please press the "
            "button again.")


def open_update_form(body: dict[str, Any], action: dict[str, Any], ctx: SlackContext) -> None:
    """After the click is acknowledged (``acked_first``): the loading view, then its filling."""
    actor = body["user"]["id"]
    try:
        opened = ctx.gateway.open_view(body["trigger_id"], loading_view())
    except PermanentSendError as error:
        if error.error not in TRIGGER_ERRORS:
            raise
        log.warning("views.open for %s failed: %s", actor, error.error)
        ctx.gateway.post_message(actor, TOO_SLOW)
        return
    container = body.get("container") or {}
    try:
        defer(ctx, key=f"slack:fill:{opened['id']}", kind=FILL_FORM, payload={
            "actor": actor, "value": action.get("value"),
            "view": {"id": opened["id"], "hash": opened.get("hash")},
            "container": {"type": container.get("type"),
                          "channel_id": container.get("channel_id"),
                          "message_ts": container.get("message_ts")},
            "from_home": (body.get("view") or {}).get("type") == "home",
        })
    except StorageFailure as failure:  # the form could never be saved: say so, not "loading"
        log.error("update form for %s not prepared: %s", actor, failure.said)
        _show(ctx, opened, notice_view(CANNOT_SAVE))


def fill_update_form(ctx: SlackContext, payload: dict[str, Any]) -> None:
    """In the worker: the form (or why there is none) in place of the loading view."""
    opened = payload["view"]
    try:
        request = parse_update_button(payload.get("value"))
    except BadValue:
        log.warning("update button with an unreadable value from %s", payload["actor"])
        _show(ctx, opened, notice_view(OUT_OF_DATE))
        return
    meta = _metadata(payload, request)
    offer = update_form_for(ctx, payload["actor"], request.target, request.draft)
    _show(ctx, opened, _form_or_refusal(offer, meta))


def _metadata(payload: dict[str, Any], request: UpdateRequest) -> FormMetadata:
    container = payload.get("container") or {}
    if container.get("type") == "message":
        return FormMetadata(target=request.target, prompt_channel=container.get("channel_id"),
                            prompt_ts=request.prompt_ts or container.get("message_ts"))
    return FormMetadata(target=request.target, from_home=bool(payload.get("from_home")))


def _form_or_refusal(offer: FormOffer, meta: FormMetadata) -> dict[str, Any]:
    if offer.refused == "not_yours":
        return notice_view(esc(NOT_YOURS))
    if offer.refused == "gone":
        return notice_view(esc(GONE))
    if offer.refused == "no_round":
        return notice_view(esc(offer.reason))
    if offer.refused == "frozen" or offer.facts is None:
        period = meta.target.period
        return notice_view(esc(
            f"Updates for {period.label} can no longer be changed: the period is closed "
            "for changes. A governance lead must reopen the round first."))
    return update_form(meta, offer.facts)


def _show(ctx: SlackContext, opened: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the loading view; if the person closed it meanwhile, there is nothing to do."""
    try:
        ctx.gateway.update_view(opened["id"], view, hash=opened.get("hash"))
    except PermanentSendError as error:
        log.info("could not replace the loading view %s: %s", opened.get("id"), error.error)
