"""Back-pressure made visible: how much work waits, and whether a worker is alive to do it.

``/healthz``, ``ragtime round status`` and the worker watchdog read ``backlog``; each worker
calls ``beat`` every few seconds while it runs and ``stopped`` when it exits.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.messaging.flows import deliver_outbox
from bot.messaging.inbox import Backlog, age_since, inbox_backlog
from bot.messaging.outbox import record_message
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus, WorkerBeat

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

ALIVE_WITHIN = timedelta(seconds=30)  # a worker that has not beaten for this long is dead
BEHIND_AFTER = timedelta(minutes=5)  # the oldest waiting item this old: the worker is behind


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(engine: Engine, name: str, *, now: datetime) -> None:
    """Record that worker ``name`` is alive (its first beat also records when it started)."""
    with session_scope(engine, write=True) as session:
        row = session.get(WorkerBeat, name)
        if row is None:
            session.add(WorkerBeat(name=name, started_at=now, beat_at=now))
        else:
            row.beat_at, row.stopped_at = now, None
            session.add(row)


def stopped(engine: Engine, name: str, *, now: datetime) -> None:
    with session_scope(engine, write=True) as session:
        row = session.get(WorkerBeat, name)
        if row is not None:
            row.stopped_at = now
            session.add(row)


@dataclass(frozen=True)
class Health:
    inbox: Backlog
    outbox: Backlog
    workers_alive: int
    last_beat_age: timedelta | None  # of the most recent beat of any worker
    last_beat_at: datetime | None = None

    @property
    def worker_ok(self) -> bool:
        return self.workers_alive > 0

    @property
    def behind(self) -> bool:
        """The oldest waiting item has waited longer than ``BEHIND_AFTER``."""
        ages = [age for age in (self.inbox.oldest_age, self.outbox.oldest_age) if age]
        return any(age > BEHIND_AFTER for age in ages)

    def as_dict(self) -> dict[str, object]:
        def seconds(age: timedelta | None) -> float | None:
            return None if age is None else round(age.total_seconds(), 1)

        return {
            "inbox": {"pending": self.inbox.pending, "failed": self.inbox.failed,
                      "oldest_seconds": seconds(self.inbox.oldest_age)},
            "outbox": {"pending": self.outbox.pending, "failed": self.outbox.failed,
                       "oldest_seconds": seconds(self.outbox.oldest_age)},
            "workers": {"alive": self.workers_alive,
                        "last_beat_seconds": seconds(self.last_beat_age)},
        }


def health(engine: Engine, *, now: datetime) -> Health:
    """The backlog of the inbox and the outbox, and the workers seen alive."""
    with session_scope(engine) as session:
        waiting = col(OutboxMessage.status).in_((OutboxStatus.pending, OutboxStatus.sending))
        count, oldest = session.exec(
            select(func.count(), func.min(OutboxMessage.created_at)).where(waiting)).one()
        failed = session.exec(select(func.count()).where(
            OutboxMessage.status == OutboxStatus.failed)).one()
        beats = session.exec(select(WorkerBeat.beat_at).where(
            col(WorkerBeat.stopped_at).is_(None))).all()
    ages = [age_since(now, at) for at in beats]
    alive = sum(1 for age in ages if age is not None and age <= ALIVE_WITHIN)
    return Health(inbox=inbox_backlog(engine, now=now),
                  outbox=Backlog(pending=count, oldest_age=age_since(now, oldest),
                                 failed=failed, oldest_at=oldest),
                  workers_alive=alive, last_beat_age=age_since(now, max(beats, default=None)),
                  last_beat_at=max(beats, default=None))


def watch(ctx: AppContext) -> str | None:
    """Tell the governance team, once per incident, when no worker is alive or the oldest
    waiting work is older than ``BEHIND_AFTER``; returns what was found (None: all well)."""
    now = ctx.now()
    state = health(ctx.engine, now=now)
    if not state.worker_ok and (state.inbox.pending or state.outbox.pending or beats_seen(state)):
        since = state.last_beat_at.isoformat() if state.last_beat_at else "never"
        problem, key = (f"No Ragtime worker has been seen since {since} (UTC); "
                        f"{state.inbox.pending + state.outbox.pending} item(s) are waiting."), \
            f"worker-alert:dead:{since}"
    elif state.behind:
        oldest = min(at for at in (state.inbox.oldest_at, state.outbox.oldest_at) if at)
        problem, key = (f"Ragtime's worker is behind: the oldest waiting item was received "
                        f"at {oldest.isoformat()} (UTC); {state.inbox.pending} inbox and "
                        f"{state.outbox.pending} outbox item(s) are waiting."), \
            f"worker-alert:behind:{oldest.isoformat()}"
    else:
        return None
    log.error("%s", problem)
    with session_scope(ctx.engine, write=True) as session:
        _notice, created = record_message(session, key=key, kind="notice", payload={
            "title": "Ragtime needs attention",
            "intro": problem,
            "lines": ["Check that `ragtime worker` (started by `ragtime serve`) is running "
                      "and look at its log; `/healthz` shows the backlog."],
            "footer": "Ragtime tells you once about each incident."})
    if created:  # sent from here: there may be no worker to send it
        deliver_outbox(ctx, kinds={"notice"})
    return problem


def beats_seen(state: Health) -> bool:
    return state.last_beat_at is not None
