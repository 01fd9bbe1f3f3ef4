"""The object every flow receives: settings, database, the channels (ports) and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

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

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC unless a test clock says otherwise)."""
        return self.clock()

    def today(self) -> date:
        """Today in ``RAGTIME_TIMEZONE`` (the date governance rules are checked against)."""
        return self.now().astimezone(self.settings.tz).date()

    @property
    def channels(self) -> Ports:
        if self.ports is None:
            raise NotConnected("this needs Slack: set SLACK_BOT_TOKEN (see .env.example)")
        return self.ports
