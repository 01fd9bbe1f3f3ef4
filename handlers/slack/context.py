"""What a Slack listener receives as ``ctx``: the domain's context plus the Slack gateway.

A ``SlackContext`` is an ``AppContext``, so a listener passes it straight to ``bot`` flows; the
gateway is for what only the Slack edge does (open a modal, publish a Home tab, answer in a
thread). Built once by ``ragtime.wiring``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import AppContext
from handlers.slack.gateway import SlackGateway


@dataclass(kw_only=True)
class SlackContext(AppContext):
    gateway: SlackGateway
