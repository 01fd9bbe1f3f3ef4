"""Where scheduled jobs find the running app.

The job store keeps only a textual reference and a period label for each job, never live objects
(they would not survive pickling or a restart). The process that schedules installs its
environment here at start-up, and every job function looks it up when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from bot.calendar.periods import Period
from bot.settings import Settings


class JobContext(Protocol):
    """What the jobs use of ``bot.context.AppContext``."""

    settings: Settings
    engine: Engine
    gateway: Any

    def now(self) -> datetime: ...


# Sends one outbox row to Slack (rendering its Block Kit belongs to the Slack layer).
Send = Callable[..., Any]
# Posts a compiled draft report to the governance channel.
PostReport = Callable[..., Any]
# The Slack layer's round operations (SROs looked up by email, failures told to governance);
# without them the jobs fall back to the bare bot services.
OpenRound = Callable[[Period], object]
Remind = Callable[[Period, str], object]


@dataclass
class JobEnvironment:
    ctx: JobContext
    send: Send | None = None
    post_report: PostReport | None = None
    open_round: OpenRound | None = None
    remind: Remind | None = None
    scheduler: BaseScheduler | None = None


_environment: JobEnvironment | None = None


def install(environment: JobEnvironment) -> None:
    global _environment
    _environment = environment


def uninstall() -> None:
    global _environment
    _environment = None


def current() -> JobEnvironment:
    if _environment is None:
        raise RuntimeError(
            "a scheduled job ran before the app installed its environment "
            "(schedules.registry.install); start the scheduler with schedules.start_scheduler"
        )
    return _environment
