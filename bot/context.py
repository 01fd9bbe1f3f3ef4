"""The object every flow receives: settings, database, the channels (ports) and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.ports import Ports
from bot.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


class NotConnected(RuntimeError):
    """A flow needed a channel (Slack) but this context was built without one."""


@dataclass
class AppContext:
    """Shared by handlers, scheduled jobs and the CLI; tests pass a fixed ``clock``.

    ``ports`` is None for work that reaches nobody (``ragtime demo``, ``compile`` without
    ``--post``, ``round status``); flows that message people ask for ``channels``."""

    settings: Settings
    engine: Engine
    ports: Ports | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    # What the composition root keeps beside the ports for a channel's own edge (the Teams
    # channel: its gateway, and the worker's work for its inbox kinds). Never read by ``bot``.
    edges: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC unless a test clock says otherwise)."""
        return self.clock()

    def today(self) -> date:
        """Today in ``RAGTIME_TIMEZONE`` (the date governance rules are checked against)."""
        return self.now().astimezone(self.settings.tz).date()

    @property
    def channels(self) -> Ports:
        if self.ports is None:
            raise NotConnected("this needs a chat channel: set SLACK_BOT_TOKEN or the "
                               "RAGTIME_TEAMS_* settings (see .env.example)")
        return self.ports
