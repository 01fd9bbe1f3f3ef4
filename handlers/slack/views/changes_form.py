"""The request-for-changes modal submitted by a governance lead (``leads_only`` guards it).

The acting lead is the signed payload's ``user.id``; ``private_metadata`` only names the report.
``bot.reports.decisions.ask_for_changes`` records the request and acknowledges the modal
(``on_recorded``) before the SROs' re-prompts are sent.
"""

from __future__ import annotations

from typing import Any

from bot.context import AppContext
from bot.reports.decisions import ask_for_changes
from bot.reports.errors import InvalidRequest, PublishError
from handlers.slack.blocks.ids import record_id
from handlers.slack.blocks.report import (
    CHOICE_ACTION,
    CHOICE_BLOCK,
    COMMENT_ACTION,
    COMMENT_BLOCK,
    NOT_OURS,
    modal_report_id,
)
from handlers.slack.guards import acting_user


def submit_changes(ack: Any, body: dict[str, Any], view: dict[str, Any],
                   ctx: AppContext) -> None:
    report_id = modal_report_id(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(CHOICE_BLOCK) or {}).get(CHOICE_ACTION) or {}).get(
        "selected_options") or []
    comment = ((values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}).get("value") or ""
    ids = [found for option in chosen if (found := record_id(option.get("value"))) is not None]
    if report_id is None:
        ack(response_action="errors", errors={COMMENT_BLOCK: NOT_OURS})
        return
    try:
        ask_for_changes(ctx, report_id, by=str(acting_user(body)), comment=comment,
                        deliverable_ids=ids, on_recorded=ack)
    except InvalidRequest as error:
        block = CHOICE_BLOCK if error.field == "deliverables" else COMMENT_BLOCK
        ack(response_action="errors", errors={block: str(error)})
    except PublishError as error:
        ack(response_action="errors", errors={COMMENT_BLOCK: str(error)})
