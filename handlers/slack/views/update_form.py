"""The update form submitted (``view_submission``).

The acting user is ``body["user"]["id"]``; ``private_metadata`` only names the deliverable and
period (and the prompt it came from) and is never trusted for who may submit: ``submit_update``
checks that. Governance rules come back as errors beside the fields (``response_action:
errors``); a refusal (not an owner, period frozen) replaces the form with the reason. The view id
is the idempotency key, so a double submit stores one version and sends one confirmation.

``bot.collection.submissions.submit_from_form`` stores the update and records its follow-up in
the same transaction, and returns once it is committed; the form is acknowledged then, and the
worker sends the confirmation, the refreshed prompt cards and the notices to co-owners
(validation errors still come back in the ack itself). When the database cannot store it (a
full or read-only disk) the person is told so beside the narrative, the form stays open with what
they wrote, and nothing is acknowledged as stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.collection.submissions import errors_by_field, submit_from_form
from bot.messaging.database_watch import CANNOT_SAVE, StorageFailure
from handlers.slack.blocks.ids import FIELD_BLOCKS, BadValue, parse_form_metadata
from handlers.slack.blocks.modal import notice_view, read_form
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)

OUT_OF_DATE = ("This form is out of date and cannot be saved. Open it again from your prompt "
               "message or Ragtime's Home tab.")


def submit_update_form(ack: Any, body: dict[str, Any], view: dict[str, Any], ctx: SlackContext
                       ) -> None:
    actor = body["user"]["id"]
    try:
        meta = parse_form_metadata(view.get("private_metadata"))
    except BadValue:
        log.warning("update form with unreadable private_metadata from %s", actor)
        ack(response_action="update", view=notice_view(esc(OUT_OF_DATE)))
        return
    entered = read_form((view.get("state") or {}).get("values") or {})
    try:
        result = submit_from_form(ctx, actor=actor, target=meta.target, entered=entered,
                                  form_id=view["id"], refresh_home=meta.from_home)
    except StorageFailure as failure:  # nothing stored: the form stays open with their text
        log.error("update form from %s not stored: %s", actor, failure.said)
        ack(response_action="errors", errors={"narrative": CANNOT_SAVE})
        return
    if result.errors is not None:
        ack(response_action="errors", errors=_errors(result.errors))
        return
    if result.refusal is not None:  # not an owner, frozen, retired deliverable, ...
        ack(response_action="update", view=notice_view(esc(result.refusal)))
        return
    ack()  # stored and committed with its follow-up, which the worker sends


def _errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Rule messages keyed by the form's block ids."""
    return errors_by_field(errors, FIELD_BLOCKS)
