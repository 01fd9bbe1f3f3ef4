"""The object every handler and job receives: settings, database, Slack gateway and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.slack_gateway import SlackGateway


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    """Shared by listeners and scheduled jobs; tests pass a fixed ``clock``."""

    settings: Settings
    engine: Engine
    gateway: SlackGateway
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC unless a test clock says otherwise)."""
        return self.clock()
