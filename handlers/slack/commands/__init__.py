"""Slash commands. ``/compile-report`` is registered by ``handlers.slack.reports``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.commands.report_status import report_status

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.command("/report-status")(report_status)
