"""The worker: everything after the acknowledgement, in its own process.

``ragtime serve`` only acknowledges (``handlers.slack.deferral``) and starts ``ragtime worker``
as a child at lower CPU priority (``ragtime.supervision.Supervisor``); replicas can run
``ragtime worker`` on their own. A worker runs

- one thread claiming what the serving process received (``bot.messaging.inbox``), and
  ``RAGTIME_WORKER_THREADS`` threads doing it — a whole Slack request dispatched through the
  worker's own Bolt app (listeners run as written; ``relay_acks`` posts their acks to
  ``response_url``), or the second half of a listener (``handlers.slack.work``);
- outbox threads (half as many): send what requests left to send (the confirmations and
  refreshed cards after a form, the confirmation email after a web form), exactly once per
  message however many run (``bot.messaging.flows.deliver_outbox``);
- the scheduler, unless ``--no-scheduler`` (leader election keeps it to one replica);
- a heartbeat, read by ``/healthz`` and the serving process's watchdog
  (``ragtime.supervision.Watchdog``).

An idle loop asks the database again every ``poll`` seconds for what another process stored;
what this process stores itself (an inbox item handled here that records a confirmation, or
anything stored beside a worker run in the same process) wakes it at once (``storage.wakes``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from slack_bolt import App, BoltRequest

from bot.collection.confirmations import CONFIRMATION
from bot.collection.followups import FOLLOW_UP
from bot.collection.risk_round import RISK_CONFIRMATION
from bot.context import AppContext
from bot.messaging.flows import deliver_outbox
from bot.messaging.health import beat, stopped, worker_name
from bot.messaging.inbox import (
    MAX_ATTEMPTS,
    GiveUp,
    Outcome,
    Received,
    attempt,
    claim,
    record,
    release_held,
)
from bot.messaging.inbox import WAKE as INBOX_WAKE
from bot.messaging.outbox import WAKE as OUTBOX_WAKE
from bot.messaging.routing import TEAMS
from bot.settings import Settings
from handlers.slack.context import SlackContext
from handlers.slack.deferral import LAST_ATTEMPT, RETRY, SLACK_REQUEST
from handlers.slack.work import LOADING, WORK
from ragtime.app import create_app, start_scheduler_for
from ragtime.logs import configure_logging
from ragtime.wiring import teams_context
from storage import wakes
from storage.faults import StorageFailure

log = logging.getLogger(__name__)
T = TypeVar("T")

IDLE_POLL_SECONDS = 0.1
BEAT_SECONDS = 5.0
# What the outbox thread sends as soon as it is recorded: messages no flow sends itself. A flow
# that records prompts, reminders or notices sends them at once (and reports what it sent);
# the scheduler's ``deliver_outbox`` job catches up whatever such a flow left behind.
WORKER_KINDS = frozenset({FOLLOW_UP, CONFIRMATION, RISK_CONFIRMATION})


def handler_for(app: App | None, ctx: AppContext) -> Callable[[Received], None]:
    """What the worker does with one inbox item (``app`` None: a deployment without Slack)."""
    teams = ctx.edges.get(TEAMS)
    teams_work = teams.work() if teams is not None else {}

    def handle(item: Received) -> None:
        if item.kind in teams_work:
            teams_work[item.kind](item.payload)
            return
        if app is None or not isinstance(ctx, SlackContext):
            raise GiveUp(f"{item.kind!r} is Slack's work, and Slack is not set up")
        if item.kind == SLACK_REQUEST:
            request = BoltRequest(body=item.payload["body"], mode="socket_mode",
                                  context={LAST_ATTEMPT: item.attempts >= MAX_ATTEMPTS})
            response = app.dispatch(request)
            retry = request.context.get(RETRY)
            if retry is not None:  # Slack unwell: tried again later (a reply is stored once)
                raise retry
            if response.status >= 500:  # the error handler logged it and told the person
                raise GiveUp(f"the listener failed (status {response.status})")
            return
        work = WORK.get(item.kind)
        if work is None:
            raise GiveUp(f"no work is known by the kind {item.kind!r}")
        work(ctx, item.payload)

    return handle


class Worker:
    """The worker's threads in this process; ``start()`` / ``stop()`` (tests run one so)."""

    def __init__(self, app: App | None, ctx: AppContext, *, threads: int | None = None,
                 poll: float = IDLE_POLL_SECONDS, name: str | None = None,
                 outbox_kinds: frozenset[str] = WORKER_KINDS) -> None:
        self.app, self.ctx = app, ctx
        self.name = name or worker_name()
        self.poll = poll
        self.outbox_kinds = outbox_kinds
        self._handle = handler_for(app, ctx)
        self._stop = threading.Event()
        self._slots = threads or ctx.settings.worker_threads
        self._pool = ThreadPoolExecutor(self._slots, thread_name_prefix="ragtime-inbox")
        self._free = threading.Semaphore(self._slots)
        # Outcomes of items done, recorded with the next claim (one write, not two); kept
        # while the database cannot take them (its disk full, restarting).
        self._outcomes: list[Outcome] = []
        self._outcomes_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._inbox_loop, name="ragtime-claims",
                                          daemon=True)]
        # Sending waits on Slack: several senders (each claims its own chunk of the outbox).
        self._threads += [threading.Thread(target=self._outbox_loop, name="ragtime-outbox",
                                           daemon=True)
                          for _ in range(max(1, self._slots // 2))]
        self._threads.append(threading.Thread(target=self._beat_loop, name="ragtime-beat",
                                              daemon=True))

    def start(self) -> Worker:
        beat(self.ctx.engine, self.name, now=self.ctx.now())
        if released := release_held(self.ctx.engine):
            log.info("worker %s: %d item(s) a worker that ended left half done are pending "
                     "again", self.name, released)
        for thread in self._threads:
            thread.start()
        log.info("worker %s started", self.name)
        return self

    def request_stop(self) -> None:
        """Ask the loops to end (safe in a signal handler); ``stop()`` waits for them."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        wakes.wake(self.ctx.engine, INBOX_WAKE, OUTBOX_WAKE)  # the loops waiting end now
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=True)
        self._guarded("inbox", self._record_outcomes)
        try:
            stopped(self.ctx.engine, self.name, now=self.ctx.now())
        except StorageFailure as failure:  # a full disk: its heartbeat simply ages out
            log.error("worker %s stopped; could not record it: %s", self.name, failure.said)
            return
        log.info("worker %s stopped", self.name)

    def wait(self) -> None:
        """Block until ``stop()`` (or a signal that calls it)."""
        while not self._stop.wait(1.0):
            pass

    def _inbox_loop(self) -> None:
        """One thread polls and claims (an idle worker asks the database ``1/poll`` times a
        second, however many threads it has); the pool's threads do the items."""
        while not self._stop.is_set():
            free = self._take_free_slots()
            if not free:
                return
            looked = wakes.seen(self.ctx.engine, INBOX_WAKE)
            items = self._guarded("inbox", partial(self._claim, free)) or []
            for _ in range(free - len(items)):
                self._free.release()
            for item in items:
                self._pool.submit(self._do, item)
            if not items:
                wakes.wait(self.ctx.engine, INBOX_WAKE, looked, self.poll)

    def _take_free_slots(self) -> int:
        """Wait for one free slot, then take every other one free now."""
        while not self._free.acquire(timeout=self.poll):
            if self._stop.is_set():
                return 0
        taken = 1
        while taken < self._slots and self._free.acquire(blocking=False):
            taken += 1
        return taken

    def _claim(self, batch: int) -> list[Received]:
        """Claim up to ``batch`` items, recording the outcomes waiting in the same write."""
        with self._outcomes_lock:
            outcomes = list(self._outcomes)
        items = claim(self.ctx.engine, batch=batch, first=LOADING, outcomes=outcomes)
        with self._outcomes_lock:
            del self._outcomes[:len(outcomes)]
        return items

    def _do(self, item: Received) -> None:
        try:
            outcome = self._guarded("inbox item", lambda: attempt(item, self._handle))
            if outcome is not None:
                with self._outcomes_lock:
                    self._outcomes.append(outcome)
        finally:
            self._free.release()
            wakes.wake(self.ctx.engine, INBOX_WAKE)  # an idle claims loop records it now

    def _record_outcomes(self) -> None:
        """At the end, what was done since the last claim (the next worker on SQLite takes
        back an item whose outcome could not be recorded; on PostgreSQL its lease ends)."""
        with self._outcomes_lock:
            outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            record(self.ctx.engine, outcomes)

    def _outbox_loop(self) -> None:
        while not self._stop.is_set():
            looked = wakes.seen(self.ctx.engine, OUTBOX_WAKE)
            report = self._guarded("outbox", lambda: deliver_outbox(
                self.ctx, kinds=self.outbox_kinds))
            if report is None or not (report.sent or report.failed or report.skipped):
                wakes.wait(self.ctx.engine, OUTBOX_WAKE, looked, self.poll)

    def _beat_loop(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            self._guarded("heartbeat", lambda: beat(self.ctx.engine, self.name,
                                                    now=self.ctx.now()))

    def _guarded(self, what: str, work: Callable[[], T]) -> T | None:
        """One round of a loop; an unexpected error (the database restarting…) is logged and
        the loop goes on after a pause."""
        try:
            return work()
        except Exception:  # a worker thread must outlive one bad round
            log.exception("worker %s: %s round failed", self.name, what)
            self._stop.wait(1.0)
            return None


def run_worker(settings: Settings, *, scheduler: bool = True) -> None:
    """``ragtime worker``: run until SIGTERM or Ctrl-C."""
    configure_logging(settings.log_level)
    app, ctx = (create_app(settings, role="worker") if settings.slack_enabled
                else (None, teams_context(settings)))
    service = start_scheduler_for(ctx) if scheduler else None
    worker = Worker(app, ctx)
    # Before the threads start: a SIGTERM while they start stops the worker cleanly (the
    # default action would kill it half-started, without its "started"/"stopped" records).
    signal.signal(signal.SIGTERM, lambda *_: worker.request_stop())
    worker.start()
    try:
        worker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        stop = getattr(service, "stop", None)
        if callable(stop):
            stop()
        ctx.engine.dispose()
