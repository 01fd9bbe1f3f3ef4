"""The update form submitted (``view_submission``): checked at once, stored by the worker.

The acting user is ``body["user"]["id"]``; ``private_metadata`` names the deliverable and period
(and the prompt it came from) and carries the rules the form was filled with
(``bot.collection.submissions.FormChecks``). It is never trusted for who may submit.

In the serving process the rules are checked against what was entered without a read
(``form_errors``; a form filled before the rules travelled with it has them read), and a
broken rule comes back beside its field (``response_action: errors``). Otherwise the request is
kept in the inbox (``defer``) and the form acknowledged: nothing on this path writes the
database, so the ack never waits for the worker's writes. When the inbox cannot take it (a full
or read-only disk) the person is told beside the narrative, the form stays open with what they
wrote, and nothing is acknowledged.

The worker (``store_update_form``) stores it through ``submit_from_form``, which checks again
against storage and records the follow-up (the confirmation, the refreshed prompt cards, the
co-owners' notices) in the same transaction. The view id is the idempotency key: a double
submit stores one version and sends one confirmation. What the worker refuses — a round frozen,
or an owner changed, since the form opened — is told by DM, with what they wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.collection.submissions import (
    FormValues,
    deliverable_label,
    errors_by_field,
    form_errors,
    submit_from_form,
)
from bot.collection.values import Target
from bot.messaging.database_watch import CANNOT_SAVE, StorageFailure
from handlers.slack.blocks.ids import FIELD_BLOCKS, BadValue, parse_form_metadata
from handlers.slack.blocks.modal import notice_view, read_form
from handlers.slack.blocks.text import deliverable_name
from handlers.slack.blocks.words import esc, quote
from handlers.slack.context import SlackContext
from handlers.slack.deferral import defer

log = logging.getLogger(__name__)

STORE_FORM = "slack.update_form"  # the inbox kind of a submitted form the worker stores
OUT_OF_DATE = ("This form is out of date and cannot be saved. Open it again from your prompt "
               "message or Ragtime's Home tab.")
WROTE_LIMIT = 4000  # the narrative quoted back when it was not saved (it holds 3,000 at most)


def submit_update_form(ack: Any, body: dict[str, Any], view: dict[str, Any], ctx: SlackContext
                       ) -> None:
    actor = body["user"]["id"]
    try:
        meta = parse_form_metadata(view.get("private_metadata"))
    except BadValue:
        log.warning("update form with unreadable private_metadata from %s", actor)
        ack(response_action="update", view=notice_view(esc(OUT_OF_DATE)))
        return
    values = (view.get("state") or {}).get("values") or {}
    entered = read_form(values)
    try:
        errors = form_errors(ctx, meta.target, entered, meta.checks)
        if not errors:
            defer(ctx, key=f"slack:view:{view['id']}", kind=STORE_FORM, payload={
                "actor": actor, "view_id": view["id"],
                "metadata": view.get("private_metadata"), "values": values})
    except StorageFailure as failure:  # nothing kept: the form stays open with their text
        log.error("update form from %s not stored: %s", actor, failure.said)
        ack(response_action="errors", errors={"narrative": CANNOT_SAVE})
        return
    if errors:
        ack(response_action="errors", errors=_errors(errors))
        return
    ack()  # kept in the inbox: the worker stores it and sends the confirmation


def store_update_form(ctx: SlackContext, payload: dict[str, Any]) -> None:
    """In the worker: store the form; tell the person by DM if it cannot be."""
    actor = str(payload["actor"])
    meta = parse_form_metadata(payload.get("metadata"))  # read before it was kept
    entered = read_form(payload.get("values") or {})
    result = submit_from_form(ctx, actor=actor, target=meta.target, entered=entered,
                              form_id=str(payload["view_id"]), refresh_home=meta.from_home)
    if result.errors is not None:  # the rules changed since the form was filled
        _tell_not_saved(ctx, actor, meta.target, " ".join(result.errors.values()), entered)
    elif result.refusal is not None:  # not an owner now, frozen, retired deliverable, ...
        _tell_not_saved(ctx, actor, meta.target, result.refusal, entered)


def _tell_not_saved(ctx: SlackContext, actor: str, target: Target, reason: str,
                    entered: FormValues) -> None:
    log.info("update form from %s for deliverable %s not stored: %s", actor,
             target.deliverable_id, reason)
    label = deliverable_label(ctx, target.deliverable_id)
    named = f"{deliverable_name(*label)} ({target.period.label})" if label else \
        target.period.label
    text = f"Your update for {named} was not saved. {esc(reason)}"
    if entered.narrative.strip():
        text += ("\nWhat you wrote, so that nothing is lost:\n"
                 + quote(entered.narrative, limit=WROTE_LIMIT))
    ctx.gateway.post_message(actor, text)


def _errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Rule messages keyed by the form's block ids."""
    return errors_by_field(errors, FIELD_BLOCKS)
