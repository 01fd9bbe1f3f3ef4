"""``app_home_opened``: publish the viewer's Home tab.

An SRO sees the period in focus (the open round, else the current quarter) with each of their
deliverables, its status and a button to update it; a governance lead also sees the round's
progress by theme and, when no round is open for it, a button to open one. What it shows is
``bot.collection.status.home_page``; this module only draws and publishes it.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.status import home_pages
from handlers.slack.blocks.home import home_view
from handlers.slack.context import SlackContext
from handlers.slack.gateway import SlackSendError

log = logging.getLogger(__name__)


def publish_home(event: dict[str, Any], ctx: SlackContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home_for(ctx, event["user"])


def refresh_home(ctx: SlackContext, user: str) -> None:
    """Republish after something changed (an update, a round opened); the change is already
    made, so a Slack failure here is only logged."""
    try:
        publish_home_for(ctx, user)
    except SlackSendError as error:
        log.warning("could not refresh %s's Home tab: %s", user, error)


def publish_home_for(ctx: SlackContext, user: str) -> None:
    """Build and publish ``user``'s Home tab."""
    ctx.gateway.publish_home(user, home_view(home_pages(ctx, user)))
