"""``GET /metrics``: the serving process's figures in the Prometheus text format.

Measured here, in the serving process: every Slack request's acknowledgement by kind and
outcome, with its latency (``ragtime_acks_total``, ``ragtime_ack_seconds``), and the database
errors this process met by kind (``ragtime_database_errors_total``; a full or read-only disk
shows here first, and ``ragtime_database_failing`` is 1 until a write succeeds again).

Read from the database at each scrape (``bot.messaging.figures``): the inbox's and outbox's
depth, failures and oldest age, the sends by channel and outcome and the retries the workers
made, and each worker's last heartbeat. The workers need no port of their own: what they did
is in the rows they worked on. A database that cannot be read leaves those figures out of the
scrape and counts the error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from urllib.parse import unquote_plus

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.context import AppContext
from bot.messaging.figures import figures
from storage.faults import storage_health

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
_FIRST_TYPE = re.compile(r'"type"\s*:\s*"([a-z_]{1,40})"')
_COMMAND = re.compile(rb"(?:^|&)command=")


class Metrics:
    """The registry of one serving process."""

    def __init__(self, ctx: AppContext) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.acks = Counter("ragtime_acks", "Slack requests answered, by kind and outcome "
                            "(ok: 2xx; refused: 4xx; failed: 5xx, which Slack retries).",
                            ["kind", "outcome"], registry=self.registry)
        self.ack_seconds = Histogram("ragtime_ack_seconds", "Time to answer a Slack request.",
                                     ["kind"], buckets=ACK_BUCKETS, registry=self.registry)
        self.registry.register(_DatabaseFigures(ctx))

    def acked(self, kind: str, status: int, seconds: float) -> None:
        outcome = "ok" if status < 400 else "refused" if status < 500 else "failed"
        self.acks.labels(kind, outcome).inc()
        self.ack_seconds.labels(kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def request_kind(content_type: str | None, body: bytes) -> str:
    """``event``, ``command`` or the interaction's type (``block_actions``, ``view_submission``,
    …) from the raw request, cheaply: an interaction's ``type`` is its payload's first key."""
    if (content_type or "").startswith("application/json"):
        return "event"
    head = unquote_plus(body[:400].decode("utf-8", "replace"))
    if head.startswith("payload="):
        found = _FIRST_TYPE.search(head)
        return found.group(1) if found else "interaction"
    return "command" if _COMMAND.search(body) else "other"


class _DatabaseFigures(Collector):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[object]:
        health = storage_health(self.ctx.engine)
        errors = CounterMetricFamily("ragtime_database_errors", "Database errors this serving "
                                     "process met, by kind (full, read-only, io, corrupt, "
                                     "locked, other).", labels=["kind"])
        try:
            found = figures(self.ctx.engine, now=self.ctx.now())
        except SQLAlchemyError as error:
            log.warning("metrics: the database could not be read (%s)", type(error).__name__)
            found = None
        for kind in ("full", "read-only", "io", "corrupt", "locked", "other"):
            errors.add_metric([kind], health.error_counts().get(kind, 0))
        yield errors
        yield GaugeMetricFamily("ragtime_database_failing", "1 while the database cannot take "
                                "writes (since a write failed, until one succeeds).",
                                value=1 if health.failing is not None else 0)
        if found is None:
            return
        depth = GaugeMetricFamily("ragtime_queue_depth", "Items waiting (pending or being "
                                  "worked on).", labels=["queue"])
        failed = GaugeMetricFamily("ragtime_queue_failed", "Items given up.", labels=["queue"])
        oldest = GaugeMetricFamily("ragtime_queue_oldest_age_seconds", "Age of the oldest "
                                   "waiting item (0 when none waits).", labels=["queue"])
        for name, backlog in (("inbox", found.backlog.inbox), ("outbox", found.backlog.outbox)):
            depth.add_metric([name], backlog.pending)
            failed.add_metric([name], backlog.failed)
            age = backlog.oldest_age.total_seconds() if backlog.oldest_age else 0.0
            oldest.add_metric([name], age)
        yield from (depth, failed, oldest)
        sends = CounterMetricFamily("ragtime_sends", "Outbox messages the workers finished, by "
                                    "channel and outcome (sent, failed).",
                                    labels=["channel", "outcome"])
        for (channel, outcome), count in sorted(found.sends.items()):
            sends.add_metric([channel, outcome], count)
        yield sends
        retries = CounterMetricFamily("ragtime_retries", "Attempts beyond the first, by queue.",
                                      labels=["queue"])
        for queue, count in sorted(found.retries.items()):
            retries.add_metric([queue], count)
        yield retries
        yield GaugeMetricFamily("ragtime_workers_alive", "Workers that beat within the last 30 "
                                "seconds.", value=found.backlog.workers_alive)
        beats = GaugeMetricFamily("ragtime_worker_last_beat_age_seconds", "Seconds since each "
                                  "running worker's last heartbeat.", labels=["worker"])
        for worker in found.workers:
            beats.add_metric([worker.name], worker.beat_age_seconds)
        yield beats
