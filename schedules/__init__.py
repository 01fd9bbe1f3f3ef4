"""APScheduler setup and job functions; each job calls a bot service.

Entry points for the composition root:

- ``start_scheduler(ctx, send=..., post_report=..., poll_seconds=15)`` — leader election and,
  in the leader, the scheduler (``schedules.service``); returns an object with ``stop()`` /
  ``shutdown(wait=False)``.
- ``schedule_show(period | None, calendar, now=None, engine=None)`` and
  ``calendar_for(engine, timezone=...)`` — the rows of ``ragtime schedule show``
  (``schedules.plan``).
"""

from schedules.plan import ScheduleRow, calendar_for, schedule_show
from schedules.service import SchedulerService, start_scheduler

__all__ = ["ScheduleRow", "SchedulerService", "calendar_for", "schedule_show", "start_scheduler"]
