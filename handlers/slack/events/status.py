"""``user_change``: a person's Slack status says they are away (``:palm_tree:``, "annual
leave", …): ask them once whether to record an absence (``bot.collection.away_signal``). Runs in
the worker (the serving process only stores the event, and only when the status looks away),
so the question's Web API call is never on the request's path. Do Not Disturb is not read."""

from __future__ import annotations

from typing import Any

from bot.collection.away_signal import ask_about_status
from handlers.slack.context import SlackContext


def on_user_change(event: dict[str, Any], ctx: SlackContext) -> None:
    user = event.get("user") or {}
    profile = user.get("profile") or {}
    if not user.get("id"):
        return
    ask_about_status(ctx, slack_id=str(user["id"]), emoji=profile.get("status_emoji"),
                     text=profile.get("status_text"),
                     expiration=int(profile.get("status_expiration") or 0))
