"""Slash commands: ``/report-status`` (everyone) and ``/compile-report`` (governance leads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.commands.compile_report import compile_report_command
from handlers.slack.commands.report_status import report_status
from handlers.slack.guards import REPORT_REFUSAL, leads_only

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.command("/report-status")(report_status)
    app.command("/compile-report", middleware=[leads_only(REPORT_REFUSAL)])(
        compile_report_command)
