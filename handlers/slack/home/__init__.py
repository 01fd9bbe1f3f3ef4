"""The App Home tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.home.opened import publish_home

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.event("app_home_opened")(publish_home)
