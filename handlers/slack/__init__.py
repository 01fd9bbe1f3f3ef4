"""Slack listeners and Block Kit views: thin adapters from Slack payloads to bot services.

One sub-package per Slack surface, each with a ``register(app, ctx)``. Listeners are plain
functions taking Bolt's injected arguments; the ``AppContext`` arrives as the argument ``ctx``.
Errors are not caught here: they reach the one error handler in ``ragtime.app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack import actions, commands, events, home, views

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    for surface in (commands, actions, views, events, home):
        surface.register(app, ctx)
