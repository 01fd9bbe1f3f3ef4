"""Events API listeners: DM messages (``message.im``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.events.messages import acknowledge_message

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    app.event("message")(acknowledge_message)
