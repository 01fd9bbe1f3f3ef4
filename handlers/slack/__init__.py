"""Ragtime in Slack: listeners per surface, Block Kit builders, and Slack's side of the ports.

One sub-package per Slack surface (``commands``, ``actions``, ``views``, ``events``, ``home``),
each with a ``register(app, ctx)``. Listeners are plain functions taking Bolt's injected
arguments; the ``SlackContext`` arrives as the argument ``ctx`` (an ``AppContext`` with the
gateway). Each makes one ``bot`` call and draws its answer with ``blocks``. Errors are not caught
here: they reach the one error handler in ``ragtime.app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack import (
    actions,
    commands,
    events,
    home,
    risk_outbox,  # noqa: F401 (registers the BAF risk renderers)
    views,
)
from handlers.slack.guards import same_workspace
from handlers.slack.workspace import Workspace

if TYPE_CHECKING:
    from slack_bolt import App

    from handlers.slack.context import SlackContext


def register(app: App, ctx: SlackContext) -> None:
    """The workspace guard, then every surface's listeners. (The payload shape check,
    ``handlers.slack.shapes.refuse_malformed``, runs earlier: Bolt's ``before_authorize``.)"""
    app.use(same_workspace(Workspace.installed(ctx.settings, ctx.gateway.client)))
    for surface in (commands, actions, views, events, home):
        surface.register(app, ctx)
