"""Block actions: buttons and selects in messages, modals and the App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    """Add one line per listener, e.g. ``app.command("/report-status")(report_status)``."""
