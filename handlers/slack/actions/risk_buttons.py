"""The BAF risk prompt's buttons: "Return this risk" opens the return form; "No change this
quarter" confirms last quarter's return in one step.

As for updates, the form opens with a light loading view at once (a ``trigger_id`` lives 3
seconds) and the worker fills it (``fill_risk_form``). The button value only names the risk and
period; the acting user is ``body["user"]["id"]`` and ``bot.collection.risk_flows`` decides
whether they own the risk. "No change" needs no trigger id: the serving process stores the
click in the inbox and the worker runs ``no_change_clicked`` (``handlers.slack.deferral``).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.risk_flows import confirm_no_change, risk_form_for
from handlers.slack.actions.update_button import TOO_SLOW, TRIGGER_ERRORS
from handlers.slack.blocks.ids import BadValue
from handlers.slack.blocks.modal import notice_view
from handlers.slack.blocks.risk import (
    parse_risk_value,
    risk_form,
    risk_loading_view,
)
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext
from handlers.slack.deferral import defer
from handlers.slack.gateway import PermanentSendError

log = logging.getLogger(__name__)

FILL_RISK_FORM = "slack.fill_risk_form"
OUT_OF_DATE = ("This button is out of date or was not made by Ragtime. Use the buttons on "
               "your latest BAF risk prompt.")


def open_risk_form(body: dict[str, Any], action: dict[str, Any], ctx: SlackContext) -> None:
    """After the click is acknowledged (``acked_first``): the loading view, then its filling."""
    actor = body["user"]["id"]
    try:
        opened = ctx.gateway.open_view(body["trigger_id"], risk_loading_view())
    except PermanentSendError as error:
        if error.error not in TRIGGER_ERRORS:
            raise
        ctx.gateway.post_message(actor, TOO_SLOW)
        return
    defer(ctx, key=f"slack:fill-risk:{opened['id']}", kind=FILL_RISK_FORM, payload={
        "actor": actor, "value": action.get("value"),
        "view": {"id": opened["id"], "hash": opened.get("hash")}})


def fill_risk_form(ctx: SlackContext, payload: dict[str, Any]) -> None:
    """In the worker: the form, or why there is none, in place of the loading view."""
    opened = payload["view"]
    try:
        target = parse_risk_value(payload.get("value"))
    except BadValue:
        view = notice_view(esc(OUT_OF_DATE))
    else:
        offer = risk_form_for(ctx, risk_id=target.risk_id, period=target.period,
                              actor_slack_id=payload["actor"])
        view = (risk_form(target, offer.entry) if offer.entry is not None
                else notice_view(esc(offer.refused or OUT_OF_DATE)))
    try:
        ctx.gateway.update_view(opened["id"], view, hash=opened.get("hash"))
    except PermanentSendError as error:
        log.info("could not replace the loading view %s: %s", opened.get("id"), error.error)


def no_change_clicked(ack: Any, body: dict[str, Any], action: dict[str, Any],
                      ctx: SlackContext) -> None:
    """In the worker: store "No change this quarter"; a refusal is told to the person (the
    confirmation of a stored one is sent from the outbox)."""
    actor = body["user"]["id"]
    try:
        target = parse_risk_value(action.get("value"))
    except BadValue:
        ack(text=OUT_OF_DATE)
        return
    outcome = confirm_no_change(ctx, risk_id=target.risk_id, period=target.period,
                                source="button", actor_slack_id=actor,
                                idempotency_key=f"slack:no-change:{body.get('trigger_id')}")
    if outcome.ok:
        ack()
        return
    message = outcome.refused or " ".join(outcome.errors.values())
    ack(text=f"Not saved: {message} Use “Return this risk” to fill in the return.")
