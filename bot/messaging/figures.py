"""The figures ``/metrics`` shows about work done by the workers, read from the database.

The workers leave every figure an operator needs in the rows they work on: an outbox row's
``via`` and ``status`` say where it was sent and how it ended, its ``attempts`` how often it
was tried (the inbox's likewise), and ``worker_beat`` when each worker was last alive. So the
serving process reads them here at each scrape: nothing else to scrape, every replica counted,
and a worker that restarts loses nothing (rows are never deleted, so the sums only grow).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.messaging.health import Health, health
from bot.messaging.inbox import age_since, inbox_retries
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus, WorkerBeat

FORGET_AFTER = timedelta(hours=1)  # a worker killed without stopping is shown this long


@dataclass(frozen=True)
class WorkerSeen:
    name: str
    beat_age_seconds: float


@dataclass(frozen=True)
class Figures:
    backlog: Health
    sends: dict[tuple[str, str], int]  # (channel, outcome: sent | failed) -> messages
    retries: dict[str, int]  # queue (inbox, outbox) -> attempts beyond the first
    workers: list[WorkerSeen]  # workers not stopped, beaten within FORGET_AFTER


def figures(engine: Engine, *, now: datetime) -> Figures:
    backlog = health(engine, now=now)
    with session_scope(engine) as session:
        ended = col(OutboxMessage.status).in_((OutboxStatus.sent, OutboxStatus.failed))
        sends: Counter[tuple[str, str]] = Counter()
        for via, status, count in session.exec(
                select(OutboxMessage.via, OutboxMessage.status, func.count())
                .where(ended).group_by(OutboxMessage.via, OutboxMessage.status)):
            sends[(via or "slack", str(status))] += count
        retries = {
            "outbox": session.exec(select(func.coalesce(func.sum(OutboxMessage.attempts - 1), 0))
                                   .where(OutboxMessage.attempts > 1)).one(),
            "inbox": inbox_retries(engine),
        }
        beats = session.exec(select(WorkerBeat.name, WorkerBeat.beat_at).where(
            col(WorkerBeat.stopped_at).is_(None))).all()
    workers = [WorkerSeen(name, age.total_seconds()) for name, at in beats
               if (age := age_since(now, at)) is not None and age <= FORGET_AFTER]
    return Figures(backlog=backlog, sends=dict(sends),
                   retries={queue: int(count) for queue, count in retries.items()},
                   workers=workers)
