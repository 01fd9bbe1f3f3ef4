"""Block actions: buttons in messages, modals and the App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.actions.away_button import open_away_form
from handlers.slack.actions.open_round import open_round_clicked
from handlers.slack.actions.outcome_button import open_outcome_form
from handlers.slack.actions.report_decisions import approve, open_changes_modal, reopen
from handlers.slack.actions.risk_buttons import no_change_clicked, open_risk_form
from handlers.slack.actions.update_button import open_update_form
from handlers.slack.after_ack import acked_first
from handlers.slack.blocks.away import AWAY_OPEN
from handlers.slack.blocks.ids import OPEN_ROUND, OPEN_UPDATE_ACTIONS
from handlers.slack.blocks.outcome import OPEN_OUTCOME
from handlers.slack.blocks.report import APPROVE, REOPEN, REQUEST_CHANGES
from handlers.slack.blocks.risk import OPEN_RISK_ACTIONS, RISK_NO_CHANGE
from handlers.slack.guards import REPORT_REFUSAL, leads_only

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.action(OPEN_UPDATE_ACTIONS)(acked_first(open_update_form))
    app.action(OPEN_ROUND)(open_round_clicked)
    app.action(OPEN_RISK_ACTIONS)(acked_first(open_risk_form))
    app.action(RISK_NO_CHANGE)(no_change_clicked)
    app.action(OPEN_OUTCOME)(acked_first(open_outcome_form))
    app.action(AWAY_OPEN)(acked_first(open_away_form))
    leads = [leads_only(REPORT_REFUSAL)]
    app.action(APPROVE, middleware=leads)(approve)
    app.action(REQUEST_CHANGES, middleware=leads)(acked_first(open_changes_modal))
    app.action(REOPEN, middleware=leads)(reopen)
