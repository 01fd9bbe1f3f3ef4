"""Where scheduled jobs find the running app.

The job store keeps only a textual reference and a period label for each job, never live objects
(they would not survive pickling or a restart). The process that schedules installs its
environment here at start-up — the app's context, whose ports reach Slack, and the scheduler —
and every job function looks it up when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from bot.context import AppContext


@dataclass
class JobEnvironment:
    ctx: AppContext
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
