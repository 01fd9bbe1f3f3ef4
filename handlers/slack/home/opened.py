"""``app_home_opened``: publish the viewer's Home tab.

An SRO sees the period in focus (the open round, else the current quarter) with each of their
deliverables, its status and a button to update it; a governance lead also sees the round's
progress by theme and, when no round is open for it, a button to open one.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.context import AppContext
from handlers.slack.blocks.home import HomePage, home_view
from handlers.slack.gateway import SlackSendError
from handlers.slack.rounds_ops import (
    is_governance_lead,
    local_today,
    my_items,
    round_progress,
    state_in_focus,
)
from storage.db import session_scope

log = logging.getLogger(__name__)


def publish_home(event: dict[str, Any], ctx: AppContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home_for(ctx, event["user"])


def refresh_home(ctx: AppContext, user: str) -> None:
    """Republish after something changed (an update, a round opened); the change is already
    made, so a Slack failure here is only logged."""
    try:
        publish_home_for(ctx, user)
    except SlackSendError as error:
        log.warning("could not refresh %s's Home tab: %s", user, error)


def publish_home_for(ctx: AppContext, user: str) -> None:
    """Build and publish ``user``'s Home tab."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        state = state_in_focus(session, local_today(ctx))
        if state is None:
            page = HomePage(state=None)
        else:
            period = state.period
            page = HomePage(
                state=state, items=my_items(session, user, period), lead=lead,
                progress=round_progress(session, period) if lead else None,
                can_open=period if lead and not state.opened else None,
            )
    ctx.gateway.publish_home(user, home_view(page))
