"""Block actions: buttons in messages, modals and the App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.actions.open_round import open_round_clicked
from handlers.slack.actions.update_button import open_update_form
from handlers.slack.blocks.ids import OPEN_ROUND, OPEN_UPDATE_ACTIONS

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.action(OPEN_UPDATE_ACTIONS)(open_update_form)
    app.action(OPEN_ROUND)(open_round_clicked)
