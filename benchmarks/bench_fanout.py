"""Fan-out benchmark: one round's prompts to thousands of SROs through the outbox, against the fake
Slack enforcing a rate limit (HTTP 429 + ``Retry-After`` when exceeded).

    python -m benchmarks.bench_fanout [--sros 2000] [--rate 50] [--submissions 20]
        [--database-url URL]

It runs what the scheduler runs: the ``open_round`` job (the round is opened with one prompt per
SRO recorded in the outbox, then the outbox sends them, in Block Kit, through the Slack gateway),
followed by the ``deliver_outbox`` job for whatever a give-up on repeated 429s left pending,
exactly as the scheduler would a minute later. It prints the time taken against the rate-limit floor
(N / allowed rate) as a ratio, and the prompts lost or duplicated, which must both be 0 (the exit
status is 1 otherwise).

Meanwhile ``--submissions`` SROs submit the update form, spread over the fan-out: each does what
the serving process does before it acknowledges a modal (``submit_from_form``: check, store the
update and record its follow-up, in one write transaction) and is timed. The same number of
submissions on a quiet database after the fan-out is the baseline measured in the same run; the
p99 during the fan-out against it shows whether the fan-out's writes starve submissions
(target 1.5×, the ack-latency target).
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import func, select

from bot.calendar.periods import Period
from bot.collection.submissions import FormValues, submit_from_form
from bot.collection.values import Target
from bot.settings import load_settings
from handlers.slack.outbox import DELIVERY_TAG
from ragtime.wiring import slack_context
from schedules import jobs, registry
from schedules.registry import JobEnvironment
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Round,
    Theme,
)
from tests.fakeslack import BOT_TOKEN, FakeSlack

PERIOD = Period.parse("2024/25 Q2")
MAX_DELIVERY_PASSES = 20


@dataclass(frozen=True)
class Result:
    sros: int
    rate: int
    seconds: float
    rate_limited: int  # 429 answers from the fake
    lost: int
    duplicated: int
    during: tuple[float, ...] = ()  # seconds each submission took during the fan-out
    quiet: tuple[float, ...] = ()  # … and on a quiet database afterwards (the baseline)

    @property
    def submission_ratio(self) -> float:
        return p99(self.during) / p99(self.quiet) if self.during and self.quiet else 0.0

    @property
    def floor(self) -> float:
        return self.sros / self.rate

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def slack_sro(n: int) -> Person:
    return Person(key=f"sro{n}", name=f"SRO {n}", slack_id=f"U{n:07d}")


def seed(engine, sros: int, *, name: str = "Fan-out benchmark",  # type: ignore[no-untyped-def]
         person: Callable[[int], Person] = slack_sro) -> None:
    """One framework, one theme and ``sros`` deliverables, each with its own SRO
    (``person(n)``: a Slack user by default)."""
    with session_scope(engine, write=True) as session:
        framework = Framework(name=name, organisation="Benchmark NHS Trust")
        session.add(framework)
        session.flush()
        theme = Theme(framework_id=framework.id, name="Great Outcomes")
        session.add(theme)
        session.flush()
        people = [person(n) for n in range(sros)]
        session.add_all(people)
        deliverables = [Deliverable(framework_id=framework.id, theme_id=theme.id, ref=f"d{n}",
                                    title=f"Deliverable {n}", number=str(n + 1), position=n)
                        for n in range(sros)]
        session.add_all(deliverables)
        session.flush()
        session.add_all(DeliverableOwner(deliverable_id=d.id, person_id=p.id, role=Role.sro)
                        for d, p in zip(deliverables, people, strict=True))


def p99(samples: tuple[float, ...]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def submit(ctx, n: int, *, tag: str) -> float:  # type: ignore[no-untyped-def]
    """SRO ``n`` submits the form for their deliverable (``d{n}``), as the modal does before
    its ack; the seconds it took."""
    with session_scope(ctx.engine) as session:
        deliverable = session.exec(select(Deliverable.id).where(Deliverable.ref == f"d{n}")).one()
    started = time.perf_counter()
    result = submit_from_form(
        ctx, actor=f"U{n:07d}", target=Target(deliverable, PERIOD), form_id=f"{tag}-{n}",
        entered=FormValues(rag="green", narrative=f"bench {tag} {n}", recovery_action=None,
                           recovery_date=None, change_reason=None))
    took = time.perf_counter() - started
    if result.stored is None:
        raise RuntimeError(f"submission {tag}-{n} was not stored: {result}")
    return took


def submit_during(ctx, count: int, over: float, stop: threading.Event) -> list[float]:  # type: ignore[no-untyped-def]
    """Once the round is open, ``count`` submissions spread over ``over`` seconds."""
    times: list[float] = []
    while not stop.is_set():
        with session_scope(ctx.engine) as session:
            if session.exec(select(Round.id)).first() is not None:
                break
        time.sleep(0.05)
    for n in range(count):
        if stop.wait(over / (count + 1)):
            break
        times.append(submit(ctx, n, tag="during"))
    return times


def run(*, sros: int = 2000, rate: int = 50, submissions: int = 20,
        database_url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder, FakeSlack() as fake:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        seed(engine, sros)
        settings = load_settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url,
                                 governance_channel="C0GOVERN", database_url=url)
        ctx = slack_context(settings, engine=engine)
        registry.install(JobEnvironment(ctx=ctx))
        fake.rate_limit("chat.postMessage", rate)
        submissions = min(submissions, sros // 2)  # each SRO submits once: during or after
        stop = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            try:
                during = pool.submit(submit_during, ctx, submissions, sros / rate, stop)
                started = time.monotonic()
                jobs.open_round(PERIOD.label)
                for _ in range(MAX_DELIVERY_PASSES):
                    if _pending(engine, kind="prompt") == 0:
                        break
                    jobs.deliver_outbox()
                seconds = time.monotonic() - started
                stop.set()
                timed_during = during.result()
                quiet = [submit(ctx, sros - 1 - n, tag="quiet") for n in range(submissions)]
            finally:
                stop.set()
                registry.uninstall()
                engine.dispose()
        delivered = collections.Counter(
            call.params["channel"] for call in fake.calls("chat.postMessage")
            if _is_prompt(call))
        expected = {f"U{n:07d}" for n in range(sros)}
        return Result(
            sros=sros, rate=rate, seconds=seconds,
            rate_limited=sum(1 for call in fake.attempts("chat.postMessage")
                             if call.fault == "429" or call.fault == "rate_limited"),
            lost=len(expected - set(delivered)),
            duplicated=sum(count - 1 for count in delivered.values() if count > 1),
            during=tuple(timed_during), quiet=tuple(quiet),
        )


def _is_prompt(call) -> bool:  # type: ignore[no-untyped-def]
    """A message the outbox sent (tagged with its row), not a confirmation after a form."""
    blocks = call.json_param("blocks") or []
    return any(str(block.get("block_id", "")).startswith(DELIVERY_TAG) for block in blocks)


def _pending(engine, *, kind: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.status != OutboxStatus.sent)).one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_fanout",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sros", type=int, default=2000, help="prompts to fan out (one per SRO)")
    parser.add_argument("--rate", type=int, default=50,
                        help="chat.postMessage calls per second the fake Slack allows")
    parser.add_argument("--submissions", type=int, default=20,
                        help="form submissions timed during the fan-out (and after it)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    if args.sros < 1 or args.rate < 1:
        parser.error("--sros and --rate must be at least 1")
    logging.basicConfig(level=logging.WARNING)

    result = run(sros=args.sros, rate=args.rate, submissions=args.submissions,
                 database_url=args.database_url)
    print(f"fan-out of {result.sros} prompts, fake Slack allowing {result.rate} posts/s")
    print(f"  time taken        {result.seconds:8.1f} s")
    print(f"  rate-limit floor  {result.floor:8.1f} s  (N / rate)")
    print(f"  ratio             {result.ratio:8.2f}")
    print(f"  429s answered     {result.rate_limited:8d}")
    print(f"  lost              {result.lost:8d}")
    print(f"  duplicated        {result.duplicated:8d}")
    if result.during:
        print(f"  {len(result.during)} form submissions during the fan-out: p99 "
              f"{p99(result.during) * 1000:.1f} ms, max {max(result.during) * 1000:.1f} ms; on a "
              f"quiet database after it: p99 {p99(result.quiet) * 1000:.1f} ms; ratio "
              f"{result.submission_ratio:.2f} (target 1.5)")
    return 0 if result.lost == result.duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
