"""``app_home_opened``: publish the viewer's Home tab.

An SRO sees the period in focus (the open round, else the current quarter) with each of their
deliverables, its status and a button to update it; a governance lead also sees the round's
progress by theme and, when no round is open for it, a button to open one.
"""

from __future__ import annotations

from typing import Any

from bot.context import AppContext
from handlers.blocks.home import HomePage, home_view
from handlers.rounds_ops import (
    is_governance_lead,
    local_today,
    my_items,
    period_in_focus,
    progress_of,
    round_state,
)
from storage.db import session_scope


def publish_home(event: dict[str, Any], ctx: AppContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home_for(ctx, event["user"])


def publish_home_for(ctx: AppContext, user: str) -> None:
    """Build and publish ``user``'s Home tab (also after they submit or open a round)."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        period = period_in_focus(session, local_today(ctx))
        found = round_state(session, period)
        if found is None:
            page = HomePage(state=None)
        else:
            state, view = found
            page = HomePage(
                state=state, items=my_items(session, user, period), lead=lead,
                progress=progress_of(view) if lead else None,
                can_open=period if lead and not state.opened else None,
            )
    ctx.gateway.publish_home(user, home_view(page))
