"""The outcome form submitted (``view_submission``).

The acting user is ``body["user"]["id"]``; ``private_metadata`` only names the deliverable,
and ``bot.collection.outcomes.set_outcome`` checks that the user may set its outcome. Rule
errors come back beside the fields; a refusal replaces the form with the reason; a saved
outcome replaces it with what was recorded. The view id is the idempotency key, so a double
submit stores one version.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.outcomes import OutcomeError, OutcomeInvalid, Who, set_outcome
from handlers.slack.actions.update_button import OUT_OF_DATE
from handlers.slack.blocks.ids import BadValue
from handlers.slack.blocks.modal import notice_view
from handlers.slack.blocks.outcome import (
    OUTCOME_FIELDS,
    parse_outcome_value,
    read_outcome_form,
)
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)


def submit_outcome_form(ack: Any, body: dict[str, Any], view: dict[str, Any],
                        ctx: SlackContext) -> None:
    actor = body["user"]["id"]
    try:
        deliverable_id = parse_outcome_value(view.get("private_metadata"))
    except BadValue:
        log.warning("outcome form with unreadable private_metadata from %s", actor)
        ack(response_action="update", view=notice_view(esc(OUT_OF_DATE)))
        return
    entry = read_outcome_form((view.get("state") or {}).get("values") or {})
    try:
        saved = set_outcome(ctx, deliverable_id=deliverable_id, entry=entry,
                            who=Who(slack_id=actor), source="modal",
                            key=f"slack:outcome:{view['id']}")
    except OutcomeInvalid as error:
        shown = {field: message for field, message in error.errors.items()
                 if field in OUTCOME_FIELDS and _has_block(view, field)}
        if "target" in error.errors and "target" not in shown:  # no choices to show
            shown["outcome"] = error.errors["target"]
        ack(response_action="errors", errors=shown)
        return
    except OutcomeError as error:
        ack(response_action="update", view=notice_view(esc(str(error))))
        return
    ack(response_action="update", view=notice_view(
        f":white_check_mark: Outcome recorded: *{esc(saved.outcome.sentence())}* "
        f"(version {saved.outcome.version}). It goes into the closure report.",
        title="Outcome recorded"))


def _has_block(view: dict[str, Any], block_id: str) -> bool:
    return any(block.get("block_id") == block_id for block in view.get("blocks") or [])
