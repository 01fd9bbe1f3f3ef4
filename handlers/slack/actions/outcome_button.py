"""A click on "Record outcome" in a closure round's request: open the outcome form.

As with the update form, ``views.open`` comes first with a loading view (a ``trigger_id``
lives 3 seconds) and the worker fills it (``fill_outcome_form``). The button value only names
the deliverable; the acting user is ``body["user"]["id"]`` and
``bot.collection.outcomes.outcome_form_for`` decides whether they may see the form.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.outcomes import Who, outcome_form_for
from handlers.slack.actions.update_button import OUT_OF_DATE, TOO_SLOW, TRIGGER_ERRORS
from handlers.slack.blocks.ids import BadValue
from handlers.slack.blocks.modal import notice_view
from handlers.slack.blocks.outcome import loading_view, outcome_form, parse_outcome_value
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext
from handlers.slack.deferral import defer
from handlers.slack.gateway import PermanentSendError

log = logging.getLogger(__name__)

FILL_OUTCOME_FORM = "slack.fill_outcome_form"


def open_outcome_form(body: dict[str, Any], action: dict[str, Any], ctx: SlackContext) -> None:
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
    defer(ctx, key=f"slack:fill-outcome:{opened['id']}", kind=FILL_OUTCOME_FORM, payload={
        "actor": actor, "value": action.get("value"),
        "view": {"id": opened["id"], "hash": opened.get("hash")}})


def fill_outcome_form(ctx: SlackContext, payload: dict[str, Any]) -> None:
    """In the worker: the form (or why there is none) in place of the loading view."""
    opened = payload["view"]
    try:
        deliverable_id = parse_outcome_value(payload.get("value"))
    except BadValue:
        log.warning("outcome button with an unreadable value from %s", payload["actor"])
        view = notice_view(OUT_OF_DATE)
    else:
        offer = outcome_form_for(ctx, Who(slack_id=payload["actor"]), deliverable_id)
        view = (outcome_form(offer.facts) if offer.facts is not None else
                notice_view(esc(offer.refusal or "")))
    try:
        ctx.gateway.update_view(opened["id"], view, hash=opened.get("hash"))
    except PermanentSendError as error:
        log.info("could not replace the loading view %s: %s", opened.get("id"), error.error)
