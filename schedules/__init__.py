"""APScheduler setup and job functions; each job calls a bot flow.

Entry points for the composition root:

- ``start_scheduler(ctx, poll_seconds=15)`` — leader election and, in the leader, the scheduler
  (``schedules.service``); ``ctx`` is an ``AppContext`` whose ports reach Slack. Returns an
  object with ``stop()`` / ``shutdown(wait=False)``.
- ``schedule_show(period | None, calendar, now=None, engine=None)`` — the rows of ``ragtime
  schedule show`` (``schedules.plan``); ``calendar_for(engine, timezone=...)`` (the framework's
  calendar, from ``bot.calendar.scheduling``) gives the calendar.
"""

from bot.calendar.scheduling import calendar_for
from schedules.plan import ScheduleRow, schedule_show
from schedules.service import SchedulerService, start_scheduler

__all__ = ["ScheduleRow", "SchedulerService", "calendar_for", "schedule_show", "start_scheduler"]
