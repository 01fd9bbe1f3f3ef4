"""Email round benchmark: a round of N SROs who are all on email, through the outbox to a real
SMTP server (aiosmtpd on loopback).

    python -m benchmarks.bench_email_round [--sros 1000] [--database-url URL]

It runs what the scheduler runs: the ``open_round`` job (one round email per SRO recorded in the
outbox, then rendered from the jinja2 templates, each with its personal link, and sent through the
SMTP transport, claimed and marked one by one), then ``deliver_outbox`` for anything left
pending. The floor, measured in the same run against the same server, is the transport's own
time for N bare sends of an already rendered email of the same size over the same kind of
connection; the ratio (round / floor) is the outbox's and the rendering's cost. It prints the
emails lost and duplicated, which must both be 0 (the exit status is 1 otherwise).
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

from benchmarks.bench_fanout import seed as seed_framework
from bot.calendar.periods import Period
from bot.messaging.outbox import recorded
from bot.settings import load_settings
from handlers.email.outgoing import Email
from handlers.email.transports import SmtpTransport
from ragtime.wiring import slack_context
from schedules import jobs, registry
from schedules.registry import JobEnvironment
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import (
    OutboxMessage,
    OutboxStatus,
    Person,
)
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.mail import Mailbox, smtp_server

PERIOD = Period.parse("2024/25 Q2")
MAX_DELIVERY_PASSES = 20
SENDER = "Ragtime <ragtime@bench.example.nhs.uk>"


@dataclass(frozen=True)
class Result:
    sros: int
    seconds: float  # the round: open, record, render, send, mark
    floor: float  # N bare sends by the same transport
    lost: int
    duplicated: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def address(n: int) -> str:
    return f"sro{n}@bench.example.nhs.uk"


def email_sro(n: int) -> Person:
    return Person(key=f"sro{n}", name=f"SRO {n}", email=address(n), channel="email")


def seed(engine, sros: int) -> None:  # type: ignore[no-untyped-def]
    """One framework, one theme and ``sros`` deliverables, each with its own SRO on email."""
    seed_framework(engine, sros, name="Email benchmark", person=email_sro)


def bare_sends(mailbox: Mailbox, sros: int, sample: Email) -> float:
    """The floor: the SMTP transport alone sending ``sros`` copies of a rendered email."""
    transport = SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                              starttls=False)
    started = time.monotonic()
    for n in range(sros):
        transport.send(Email(key=f"bare:{n}", to=address(n), subject=sample.subject,
                             text=sample.text, html=sample.html))
    transport.close()
    return time.monotonic() - started


def run(*, sros: int = 1000, database_url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder, FakeSlack() as fake, \
            smtp_server() as mailbox:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        seed(engine, sros)
        settings = load_settings(
            slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url, database_url=url,
            governance_channel="C0GOVERN", email_transport="smtp", smtp_host=mailbox.host,
            smtp_port=mailbox.port, smtp_starttls=False, email_from=SENDER,
            public_url="https://ragtime.bench.example.nhs.uk",
            secret_key="Bq8Wd3Kz6Ln1Rt9Yc4Mv7Hx2Ps5Gf0Ja-bench")
        ctx = slack_context(settings, engine=engine)
        registry.install(JobEnvironment(ctx=ctx))
        try:
            started = time.monotonic()
            jobs.open_round(PERIOD.label)
            for _ in range(MAX_DELIVERY_PASSES):
                if _pending(engine) == 0:
                    break
                jobs.deliver_outbox()
            seconds = time.monotonic() - started
            with session_scope(engine) as session:
                row = session.exec(select(OutboxMessage).where(
                    OutboxMessage.kind == "prompt")).first()
            messenger = ctx.channels.messenger.messengers["email"]  # type: ignore[attr-defined]
            sample = messenger.email(recorded(row))
        finally:
            registry.uninstall()
            engine.dispose()
        delivered = collections.Counter(str(m["To"]) for m in mailbox.messages)
        expected = {address(n) for n in range(sros)}
        mailbox.messages.clear()
        floor = bare_sends(mailbox, sros, sample)
        assert len(mailbox.messages) == sros
        return Result(sros=sros, seconds=seconds, floor=floor,
                      lost=len(expected - set(delivered)),
                      duplicated=sum(count - 1 for count in delivered.values() if count > 1))


def _pending(engine) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status != OutboxStatus.sent)).one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_email_round",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sros", type=int, default=1000, help="SROs on email (one each)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    if args.sros < 1:
        parser.error("--sros must be at least 1")
    logging.basicConfig(level=logging.WARNING)

    result = run(sros=args.sros, database_url=args.database_url)
    print(f"email round of {result.sros} SROs through the outbox to a local SMTP server")
    print(f"  time taken        {result.seconds:8.2f} s")
    print(f"  transport floor   {result.floor:8.2f} s  ({result.sros} bare sends)")
    print(f"  ratio             {result.ratio:8.2f}")
    print(f"  lost              {result.lost:8d}")
    print(f"  duplicated        {result.duplicated:8d}")
    return 0 if result.lost == result.duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
