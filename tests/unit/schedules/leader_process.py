"""A bot replica reduced to its scheduler, for the leader-election test.

``python -m tests.unit.schedules.leader_process DATABASE_URL POLL_SECONDS`` starts the real
``SchedulerService`` and prints ``LEADER <pid>`` / ``FOLLOWER <pid>`` whenever its role changes.
"""

from __future__ import annotations

import os
import sys
import time

from bot.context import AppContext
from bot.settings import load_settings
from schedules.service import SchedulerService
from storage.db import make_engine


def main() -> None:
    url, poll = sys.argv[1], float(sys.argv[2])
    settings = load_settings(database_url=url)
    ctx = AppContext(settings=settings, engine=make_engine(url))
    service = SchedulerService(ctx, poll_seconds=poll).start()
    role = None
    while True:
        if service.is_leader != role:
            role = service.is_leader
            print(f"{'LEADER' if role else 'FOLLOWER'} {os.getpid()}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
