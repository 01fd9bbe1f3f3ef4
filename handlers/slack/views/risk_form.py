"""The BAF risk return form submitted (``view_submission``).

The acting user is ``body["user"]["id"]``; the private metadata only names the risk and period
and is re-checked by ``bot.collection.risk_flows`` (owner, quarter not locked). The rules' errors
come back beside the fields; a refusal replaces the form with the reason; the view id is the
idempotency key. The confirmation is recorded with the return and sent by the worker.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.risk_flows import submit_risk_return
from handlers.slack.blocks.ids import BadValue
from handlers.slack.blocks.modal import notice_view
from handlers.slack.blocks.risk import parse_risk_value, read_risk_form, risk_form_errors
from handlers.slack.blocks.words import esc
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)

OUT_OF_DATE = "This form is out of date and cannot be saved. Open it again from your prompt."


def submit_risk_form(ack: Any, body: dict[str, Any], view: dict[str, Any], ctx: SlackContext
                     ) -> None:
    actor = body["user"]["id"]
    try:
        target = parse_risk_value(view.get("private_metadata"))
    except BadValue:
        log.warning("risk form with unreadable private_metadata from %s", actor)
        ack(response_action="update", view=notice_view(esc(OUT_OF_DATE)))
        return
    entered = read_risk_form((view.get("state") or {}).get("values") or {})
    outcome = submit_risk_return(ctx, risk_id=target.risk_id, period=target.period,
                                 entered=entered, source="modal", actor_slack_id=actor,
                                 idempotency_key=f"slack:view:{view['id']}")
    if outcome.errors:
        ack(response_action="errors", errors=risk_form_errors(outcome.errors))
        return
    if outcome.refused is not None:
        ack(response_action="update", view=notice_view(esc(outcome.refused)))
        return
    ack()
