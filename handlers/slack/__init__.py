"""Ragtime in Slack: listeners per surface, Block Kit builders, and Slack's side of the ports.

One sub-package per Slack surface (``commands``, ``actions``, ``views``, ``events``, ``home``),
each with a ``register(app, ctx)``. Listeners are plain functions taking Bolt's injected
arguments; the ``SlackContext`` arrives as the argument ``ctx`` (an ``AppContext`` with the
gateway). Each makes one ``bot`` call and draws its answer with ``blocks``. Errors are not caught
here: they reach the one error handler in ``ragtime.app``.
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
