"""``app_home_opened``: publish the user's Home tab."""

from __future__ import annotations

from typing import Any

from bot import mrkdwn
from bot.context import AppContext


def home_view() -> dict[str, Any]:
    """A minimal Home until the per-user status view is built."""
    return mrkdwn.home([
        mrkdwn.header("Ragtime"),
        mrkdwn.section(
            "Ragtime collects each quarter's RAG rating and narrative for the deliverables you "
            "own, and compiles the draft board report. When a round opens you will get a direct "
            "message with a button for each deliverable."
        ),
        mrkdwn.context("Use `/report-status` to see who is still to report."),
    ])


def publish_home(event: dict[str, Any], ctx: AppContext) -> None:
    if event.get("tab", "home") != "home":
        return
    ctx.gateway.publish_home(event["user"], home_view())
