"""Events API listeners: DM messages (``message.im``) and status changes (``user_change``).
``app_home_opened`` is in ``home``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.events.messages import on_message
from handlers.slack.events.status import on_user_change

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    # One listener for every message event, subtypes included (message_changed, ...): an event
    # Slack delivers with no listener gets a 404 and counts as a failed delivery.
    app.event("message")(on_message)
    app.event("user_change")(on_user_change)
