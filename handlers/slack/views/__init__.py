"""Modal submissions (``view_submission``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.blocks.away import AWAY_MODAL
from handlers.slack.blocks.ids import UPDATE_MODAL
from handlers.slack.blocks.outcome import OUTCOME_MODAL
from handlers.slack.blocks.report import CHANGES_MODAL, COMMENT_BLOCK
from handlers.slack.blocks.risk import RISK_MODAL
from handlers.slack.guards import REPORT_REFUSAL, leads_only
from handlers.slack.views.away_form import submit_away_form
from handlers.slack.views.changes_form import submit_changes
from handlers.slack.views.outcome_form import submit_outcome_form
from handlers.slack.views.risk_form import submit_risk_form
from handlers.slack.views.update_form import submit_update_form

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.view(UPDATE_MODAL)(submit_update_form)
    app.view(RISK_MODAL)(submit_risk_form)
    app.view(OUTCOME_MODAL)(submit_outcome_form)
    app.view(AWAY_MODAL)(submit_away_form)
    app.view(CHANGES_MODAL, middleware=[leads_only(REPORT_REFUSAL, field=COMMENT_BLOCK)])(
        submit_changes)
