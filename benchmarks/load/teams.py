"""``bench_ack_latency --teams``: Teams activities against ``ragtime serve`` on Teams settings
alone (with its worker child) and against a floor that only verifies the JWT and answers 200
(``benchmarks.load.teams_floor``), in the same run, each server in its own process.

Every simulated person is a Teams user with a signed token (from the fake identity service, in
this process); they send messages to the bot (each a new activity) with about ``--think``
seconds between them. Ragtime stores each in the inbox before its 200 and its worker answers
through the fake connector. Printed: p50/p99/max to the HTTP answer for both, the ratio, and the
inbox checked: every acknowledged activity stored exactly once.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, func, select

from benchmarks.load.servers import ServerProcess, start_ragtime
from benchmarks.load.stats import Summary, ms, ratio
from bot.framework.example import load_example
from storage.db import make_engine, session_scope
from storage.inbox_file import inbox_engine
from storage.migrate import upgrade
from storage.models import InboxItem
from tests.faketeams.connector import ConnectorServer, FakeConnector
from tests.faketeams.identity import (
    APP_ID,
    APP_PASSWORD,
    TENANT_ID,
    FakeIdentity,
    IdentityServer,
)

P99_TARGET = 1.5


@dataclass
class Run:
    name: str
    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)  # activity ids answered 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ident: str, status: int, took: float) -> None:
        with self.lock:
            self.seconds.append(took)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.acked.add(ident)


def activity(user: int, ident: str, service_url: str) -> bytes:
    aad = f"00000000-0000-4000-8000-{user:012d}"
    return json.dumps({
        "type": "message", "id": ident, "channelId": "msteams", "serviceUrl": service_url,
        "text": "hello", "from": {"id": f"29:{aad}", "name": f"Person {user}",
                                  "aadObjectId": aad},
        "recipient": {"id": f"28:{APP_ID}"},
        "conversation": {"id": f"a:personal-{aad}", "conversationType": "personal",
                         "tenantId": TENANT_ID},
        "channelData": {"tenant": {"id": TENANT_ID}}}).encode()


def drive(url: str, run: Run, *, clients: int, seconds: float, think: float,
          identity: FakeIdentity, service_url: str) -> None:
    tokens = [identity.activity_token(service_url) for _ in range(clients)]
    warm = Run(f"warm-{run.name}")  # the keys fetched, the first connections made: not timed
    for n in range(5):
        _send(url, warm, 0, f"{warm.name}:0:{n}", tokens[0], service_url)
    deadline = time.monotonic() + seconds

    def person(index: int) -> None:
        rng = random.Random(index)
        n = 0
        time.sleep(rng.uniform(0, think))
        while time.monotonic() < deadline:
            n += 1
            _send(url, run, index, f"{run.name}:{index}:{n}", tokens[index], service_url)
            time.sleep(rng.expovariate(1 / think) if think else 0)

    threads = [threading.Thread(target=person, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _send(url: str, run: Run, index: int, ident: str, token: str, service_url: str) -> None:
    request = urllib.request.Request(
        f"{url}/api/messages", data=activity(index, ident, service_url), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    run.record(ident, status, time.perf_counter() - started)


def stored_ids(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    with session_scope(inbox_engine(engine)) as session:
        rows = session.exec(select(InboxItem.key, func.count()).where(
            col(InboxItem.kind) == "teams.activity").group_by(InboxItem.key)).all()
    engine.dispose()
    return dict(rows)


def main(clients: int, seconds: float, think: float, database_url: str | None,
         keep: Path | None) -> int:
    folder = keep or Path(tempfile.mkdtemp(prefix="ragtime-bench-teams-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        load_example(session)
    engine.dispose()
    with IdentityServer(FakeIdentity()) as identity, \
            ConnectorServer(FakeConnector(token_ok=identity.issued)) as connector:
        env = {"RAGTIME_TEAMS_APP_ID": APP_ID, "RAGTIME_TEAMS_APP_PASSWORD": APP_PASSWORD,
               "RAGTIME_TEAMS_TENANT_ID": TENANT_ID,
               "RAGTIME_TEAMS_LOGIN_URL": identity.login_url,
               "RAGTIME_TEAMS_OPENID_METADATA_URL": identity.metadata_url,
               "DATABASE_URL": database_url, "RAGTIME_LOG_LEVEL": "WARNING"}
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
            env[name] = ""
        floor_run, durable_run, ragtime_run = Run("floor"), Run("durable"), Run("ragtime")
        store = (database_url if not database_url.startswith("sqlite") else
                 f"sqlite:///{folder / 'durable-floor.db'}")
        for run, extra in ((floor_run, []), (durable_run, ["--durable", store])):
            floor = ServerProcess([sys.executable, "-m", "benchmarks.load.teams_floor", *extra],
                                  env, folder, f"teams-{run.name}")
            try:
                floor.wait_healthy()
                drive(floor.url, run, clients=clients, seconds=seconds, think=think,
                      identity=identity, service_url=connector.service_url)
            finally:
                floor.stop()
        ragtime = start_ragtime(env, folder, scheduler=False)
        try:
            drive(ragtime.url, ragtime_run, clients=clients, seconds=seconds, think=think,
                  identity=identity, service_url=connector.service_url)
            deadline = time.monotonic() + 120
            expected = len(ragtime_run.acked) + 5  # the worker answers each, warm-up included
            while time.monotonic() < deadline and len(
                    [c for c in connector.calls if c.method == "POST"]) < expected:
                time.sleep(0.5)
        finally:
            ragtime.stop()
        stored = stored_ids(database_url)
    floor_s, ragtime_s = Summary.of(floor_run.seconds), Summary.of(ragtime_run.seconds)
    durable_s = Summary.of(durable_run.seconds)
    keys = {f"teams:a:personal-00000000-0000-4000-8000-{int(i.split(':')[1]):012d}:{i}"
            for i in ragtime_run.acked}
    stored = {key: count for key, count in stored.items() if ":warm-" not in key}
    lost = [key for key in keys if key not in stored]
    duplicated = [key for key, count in stored.items() if count > 1]
    answered = len([c for c in connector.calls if c.method == "POST" and c.status == 200]) - 5
    print(f"Teams ack latency: {clients} clients, {seconds:.0f} s each, think {think:g} s")
    print(f"{'':10}{'count':>7}{'p50':>12}{'p99':>12}{'max':>12}   statuses")
    for name, summary, run in (("floor", floor_s, floor_run), ("durable", durable_s, durable_run),
                               ("ragtime", ragtime_s, ragtime_run)):
        print(f"{name:10}{summary.count:7d}{ms(summary.p50)}{ms(summary.p99)}{ms(summary.max)}"
              f"   {run.statuses}")
    p99 = ratio(ragtime_s.p99, floor_s.p99)
    print(f"p99 ratio (ragtime / floor): {p99:.2f}× (target ≤ {P99_TARGET}×); "
          f"p50 ratio {ratio(ragtime_s.p50, floor_s.p50):.2f}×")
    print(f"against the durable floor (each activity committed as one row first): p99 "
          f"{ratio(ragtime_s.p99, durable_s.p99):.2f}×, p50 "
          f"{ratio(ragtime_s.p50, durable_s.p50):.2f}×")
    print(f"acknowledged {len(keys)}, stored {len(stored)}, lost {len(lost)}, "
          f"duplicated {len(duplicated)}; the worker's answers posted: {answered}")
    ok = p99 <= P99_TARGET and not lost and not duplicated
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1
