"""Fan-out benchmark: one round's prompts to thousands of SROs through the outbox, against the fake
Slack enforcing a rate limit (HTTP 429 + ``Retry-After`` when exceeded).

    python -m benchmarks.bench_fanout [--sros 2000] [--rate 50] [--database-url URL]

It runs what the scheduler runs: the ``open_round`` job (the round is opened with one prompt per
SRO recorded in the outbox, then the outbox sends them, in Block Kit, through the Slack gateway),
followed by the ``deliver_outbox`` job for whatever a give-up on repeated 429s left pending,
exactly as the scheduler would a minute later. It prints the time taken against the rate-limit floor
(N / allowed rate) as a ratio, and the prompts lost or duplicated, which must both be 0 (the exit
status is 1 otherwise).
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import func, select

from bot.calendar.periods import Period
from bot.settings import load_settings
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

    @property
    def floor(self) -> float:
        return self.sros / self.rate

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def seed(engine, sros: int) -> None:  # type: ignore[no-untyped-def]
    """One framework, one theme and ``sros`` deliverables, each with its own SRO."""
    with session_scope(engine, write=True) as session:
        framework = Framework(name="Fan-out benchmark", organisation="Benchmark NHS Trust")
        session.add(framework)
        session.flush()
        theme = Theme(framework_id=framework.id, name="Great Outcomes")
        session.add(theme)
        session.flush()
        people = [Person(key=f"sro{n}", name=f"SRO {n}", slack_id=f"U{n:07d}")
                  for n in range(sros)]
        session.add_all(people)
        deliverables = [Deliverable(framework_id=framework.id, theme_id=theme.id, ref=f"d{n}",
                                    title=f"Deliverable {n}", number=str(n + 1), position=n)
                        for n in range(sros)]
        session.add_all(deliverables)
        session.flush()
        session.add_all(DeliverableOwner(deliverable_id=d.id, person_id=p.id, role=Role.sro)
                        for d, p in zip(deliverables, people, strict=True))


def run(*, sros: int = 2000, rate: int = 50, database_url: str | None = None) -> Result:
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
        try:
            started = time.monotonic()
            jobs.open_round(PERIOD.label)
            for _ in range(MAX_DELIVERY_PASSES):
                if _pending(engine) == 0:
                    break
                jobs.deliver_outbox()
            seconds = time.monotonic() - started
        finally:
            registry.uninstall()
            engine.dispose()
        delivered = collections.Counter(
            call.params["channel"] for call in fake.calls("chat.postMessage"))
        expected = {f"U{n:07d}" for n in range(sros)}
        return Result(
            sros=sros, rate=rate, seconds=seconds,
            rate_limited=sum(1 for call in fake.attempts("chat.postMessage")
                             if call.fault == "429" or call.fault == "rate_limited"),
            lost=len(expected - set(delivered)),
            duplicated=sum(count - 1 for count in delivered.values() if count > 1),
        )


def _pending(engine) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status != OutboxStatus.sent)).one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_fanout",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sros", type=int, default=2000, help="prompts to fan out (one per SRO)")
    parser.add_argument("--rate", type=int, default=50,
                        help="chat.postMessage calls per second the fake Slack allows")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    if args.sros < 1 or args.rate < 1:
        parser.error("--sros and --rate must be at least 1")
    logging.basicConfig(level=logging.WARNING)

    result = run(sros=args.sros, rate=args.rate, database_url=args.database_url)
    print(f"fan-out of {result.sros} prompts, fake Slack allowing {result.rate} posts/s")
    print(f"  time taken        {result.seconds:8.1f} s")
    print(f"  rate-limit floor  {result.floor:8.1f} s  (N / rate)")
    print(f"  ratio             {result.ratio:8.2f}")
    print(f"  429s answered     {result.rate_limited:8d}")
    print(f"  lost              {result.lost:8d}")
    print(f"  duplicated        {result.duplicated:8d}")
    return 0 if result.lost == result.duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
