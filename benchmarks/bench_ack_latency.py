"""Ack latency under load: simulated Slack clients against ``ragtime serve`` and against a bare
ack-only Bolt app served the same way (the floor), in the same run.

    python -m benchmarks.bench_ack_latency [--clients 50] [--seconds 60] [--latency 0.3] [--quick]
                                           [--socket]

Every server runs in its own process, as ``ragtime serve`` runs in production (HTTP mode,
waitress); the fake Slack Web API runs in a third, adding ``--latency`` seconds to every Web API
call. One client is a governance lead (``/report-status`` and, every 30 s, ``/compile-report``);
the others are SROs who click a prompt's button (the modal opens), submit the modal, reply in a
prompt's thread and run ``/report-status``, pausing about ``--think`` seconds between actions.
The floor run replays the same mix against the floor app first; then Ragtime is started, a
governance lead opens the round from the App Home (every SRO is prompted) and the clients work
from their real prompts and modals.

It prints p50/p99/max time to the HTTP answer for both and Ragtime's as ratios to the floor, per
kind of request, and then checks the database: every submission the app accepted (a modal answered
with an empty ack, a thread reply answered 200) stored exactly once. Targets: p99 within 1.5× the
floor, every ack under 3 s, nothing lost; the exit status is 1 when one is missed.

``--teams`` times Teams activities instead (``benchmarks.load.teams``): Ragtime serving Teams
alone against a floor that only verifies the JWT and answers 200.

``--socket`` runs both servers in Socket Mode instead (``benchmarks.load.socket_mode``): the
same people send the same requests as envelopes over a fake Socket Mode server, timed from the
envelope written to its ack read back.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from benchmarks.load.clients import (
    KINDS,
    UNACKNOWLEDGED,
    Person,
    Plan,
    Prompt,
    Recorder,
    SlackTransport,
    run_people,
)
from benchmarks.load.profile import print_profile
from benchmarks.load.servers import (
    ServerProcess,
    cpu_seconds,
    machine_cpu,
    slack_env,
    start_floor,
    start_ragtime,
    stop_servers_on_sigterm,
)
from benchmarks.load.slack_side import start_slack_side
from benchmarks.load.socket_mode import SocketSide
from benchmarks.load.stats import Summary, ms, ratio
from benchmarks.load.teams import main as teams_bench
from benchmarks.load.world import World, build_world
from storage.db import make_engine
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, OutboxMessage, Update
from tests.fakeslack import BOT_TOKEN
from tests.support.slack_requests import SIGNING_SECRET, block_actions, button

P99_TARGET = 1.5  # × the durable floor's p99
SERVED_TARGET = 2 / 3  # of the durable floor's requests served in the same time
ACK_LIMIT = 3.0  # seconds: Slack's limit
DRAIN_LIMIT = 300.0  # seconds the benchmark waits for the worker to finish after the clients
SETTLE_SECONDS = 60.0  # for thread replies still being processed when the clients stop
GOVERNANCE_CHANNEL = "C0GOVERN"


@dataclass
class Phase:
    name: str
    recorder: Recorder
    seconds: float
    cpu: dict[str, float]  # cores busy on average during the run: server, slack, clients, other

    def summary(self, kind: str | None = None) -> Summary:
        return Summary.of(self.recorder.seconds(kind))

    @property
    def failures(self) -> int:
        return sum(1 for s in self.recorder.samples if s.status != 200)


@dataclass
class Stored:
    accepted: collections.Counter[str]  # acknowledged submissions by "modal"/"thread"
    lost: list[str]  # acknowledged, neither stored nor waiting in the inbox
    duplicated: list[str]  # stored more than once
    unacknowledged: int = 0  # modals answered late or with an error (Slack shows an error)
    unacknowledged_stored: int = 0  # … that were stored all the same (once)
    # Acknowledged, not stored yet: their request is still in the inbox (kept, not lost), for
    # a worker that did not get to it before the benchmark stopped waiting.
    waiting: list[str] = field(default_factory=list)


@dataclass
class Result:
    clients: int
    latency: float
    floor: Phase
    durable: Phase
    ragtime: Phase
    stored: Stored
    slack_calls: dict[str, dict[str, int]]
    drain: Drain

    @property
    def p99_ratio(self) -> float:
        return ratio(self.ragtime.summary().p99, self.durable.summary().p99)

    @property
    def served_ratio(self) -> float:
        return ratio(self.ragtime.summary().count, self.durable.summary().count)

    @property
    def met(self) -> dict[str, bool]:
        return {
            f"p99 within {P99_TARGET}× the durable floor": self.p99_ratio <= P99_TARGET,
            f"served at least {SERVED_TARGET:.0%} of the durable floor's requests":
                self.served_ratio >= SERVED_TARGET,
            f"every ack under {ACK_LIMIT:.0f} s": self.ragtime.summary().max < ACK_LIMIT,
            "no error": self.ragtime.failures == 0,
            # A late ack is the target above; its submission is checked stored at most once.
            "nothing lost": not (self.stored.lost or self.stored.duplicated),
        }


def drive(server: ServerProcess, world: World, plan: Plan, *, slack,  # type: ignore[no-untyped-def]
          prompts: dict[str, list[Prompt]], modals: bool, profile: Path | None = None,
          sockets: SocketSide | None = None) -> Phase:
    """Run every simulated person against ``server``; ``modals``: the app opens real modals."""
    transport = (sockets.transport(_response_urls(slack)) if sockets else
                 SlackTransport(server.url, response_url=_response_urls(slack)))
    recorder = Recorder()
    forms = slack if modals else None
    people = [Person(user, prompts.get(user, []), transport, recorder, plan, slack=forms,
                     index=n) for n, user in enumerate(world.sros)]
    people += [Person(user, [], transport, recorder, plan, slack=forms, lead=True,
                      index=len(people) + n) for n, user in enumerate(world.leads)]
    spy = server.profile(profile, plan.seconds) if profile else None
    slack_pid = slack.pid()

    def cpu_now() -> dict[str, float]:
        mine = os.times()
        return {"server": server.cpu_seconds(), "worker": server.children_cpu_seconds(),
                "fake Slack": cpu_seconds(slack_pid),
                "clients": mine.user + mine.system, "machine": machine_cpu()[0]}

    before, started = cpu_now(), time.monotonic()
    run_people(people)
    seconds = time.monotonic() - started
    used = {name: (value - before[name]) / seconds for name, value in cpu_now().items()}
    used["other processes"] = max(0.0, used.pop("machine") - sum(used.values()))
    phase = Phase(server.name, recorder, seconds, used)
    if spy is not None:
        spy.wait()
    return phase


def _response_urls(slack):  # type: ignore[no-untyped-def]
    base = slack.response_url().rsplit("/", 1)[0]
    counter = iter(range(10**9))
    return lambda: f"{base}/{next(counter)}"


def floor_prompts(world: World) -> dict[str, list[Prompt]]:
    """Prompts shaped like Ragtime's (a DM channel, a ts, a button value) for the floor run."""
    return {user: [Prompt(channel="D" + user[1:], ts=f"1700000000.{n:06d}",
                          value=f'{{"d":{n},"p":"{world.period.slug}"}}')
                   for n in range(world.per_sro)] for user in world.sros}


def open_round(app: ServerProcess, world: World, slack,  # type: ignore[no-untyped-def]
               sockets: SocketSide | None = None) -> dict[str, list[Prompt]]:
    """A governance lead presses "Open round" in the App Home; every SRO gets their prompts."""
    transport = (sockets.transport(_response_urls(slack)) if sockets else
                 SlackTransport(app.url, response_url=_response_urls(slack)))
    status, body, _ = transport.post(block_actions(
        [button("open_round", world.period.slug, block_id="round")], user_id=world.leads[0],
        view={"id": "V0HOME", "type": "home"}))
    if status != 200:
        raise RuntimeError(f"opening the round was refused: HTTP {status} {body[:200]}")
    posted = slack.wait_for_prompts(world.deliverables, timeout=120 + world.deliverables / 20)
    if posted < world.deliverables:
        raise RuntimeError(f"only {posted} of {world.deliverables} prompts were posted; "
                           f"server log:\n{app.log_tail()}")
    return {user: [Prompt(**item) for item in slack.prompts_for(user)] for user in world.sros}


def check_stored(database_url: str, recorder: Recorder, settle: float = SETTLE_SECONDS) -> Stored:
    """Wait for acknowledged submissions to be stored (thread replies are handled after their
    ack), then count each one's versions."""
    wanted = {item.token for item in recorder.expected if item.via != UNACKNOWLEDGED}
    late = {item.token for item in recorder.expected if item.via == UNACKNOWLEDGED}
    engine = make_engine(database_url)
    try:
        deadline, waiting = time.monotonic() + settle, ""
        while not wanted <= (counts := _stored_counts(engine)).keys():
            if time.monotonic() > deadline:
                # What waits in the inbox is read before what is stored: an item the worker
                # finishes in between was stored before it was marked done, so it is counted
                # stored, never lost.
                waiting = _waiting_in_inbox(engine)
                counts = _stored_counts(engine)
                break
            time.sleep(0.5)
        missing = wanted - counts.keys()
        kept = {token for token in missing if token in waiting}
    finally:
        engine.dispose()
    return Stored(
        accepted=collections.Counter(item.via for item in recorder.expected
                                     if item.via != UNACKNOWLEDGED),
        lost=sorted(missing - kept),
        waiting=sorted(kept),
        duplicated=sorted(token for token, count in counts.items() if count > 1),
        unacknowledged=len(late),
        unacknowledged_stored=len(late & counts.keys()),
    )


def _stored_counts(engine: Engine) -> dict[str, int]:
    """How many versions each benchmark narrative has."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Update.narrative, func.count()).where(col(Update.narrative).like("bench-%"))
            .group_by(Update.narrative)).all()
    return {narrative: count for narrative, count in rows}


def _waiting_in_inbox(engine: Engine) -> str:
    """The payloads of the requests waiting in the inbox, not done yet, as one text."""
    with inbox_engine(engine).connect() as connection:
        payloads = connection.execute(select(InboxItem.payload).where(
            col(InboxItem.status).in_(("pending", "working")))).scalars()
        return "\n".join(json.dumps(payload) for payload in payloads)


@dataclass
class Drain:
    """The work left when the clients stopped, and how long the worker took to finish it."""

    seconds: float
    items: int  # inbox and outbox items waiting when the clients stopped
    calls: int  # Web API calls made meanwhile
    latency: float

    @property
    def floor(self) -> float:
        """Those calls one after another at the fake's latency, over the worker's threads
        (``RAGTIME_WORKER_THREADS`` inbox threads and half as many outbox threads)."""
        return self.calls * self.latency / (WORKER_THREADS + WORKER_THREADS // 2)


WORKER_THREADS = 8  # bot.settings default


def _total(counts: dict[str, dict[str, int]]) -> int:
    """Web API calls (the fake adds its latency to these; not to ``response_url`` posts)."""
    return sum(sum(outcomes.values()) for method, outcomes in counts.items()
               if method != "response_url")


def wait_drained(database_url: str, limit: float = DRAIN_LIMIT) -> tuple[float, int]:
    """(seconds until nothing waits in the inbox or the outbox, items waiting at the start)."""
    engine = make_engine(database_url)
    started = time.monotonic()
    first: int | None = None
    try:
        while time.monotonic() - started < limit:
            with inbox_engine(engine).connect() as connection:
                waiting = connection.execute(select(func.count()).select_from(InboxItem).where(
                    col(InboxItem.status).in_(("pending", "working")))).scalar_one()
            with engine.connect() as connection:
                waiting += connection.execute(select(func.count()).select_from(OutboxMessage)
                                              .where(col(OutboxMessage.status).in_(
                                                  ("pending", "sending")))).scalar_one()
            first = waiting if first is None else first
            if not waiting:
                break
            time.sleep(0.05)
    finally:
        engine.dispose()
    return time.monotonic() - started, first or 0


def run(*, clients: int = 50, seconds: float = 60.0, latency: float = 0.3, think: float = 1.0,
        per_sro: int = 4, compile_every: float = 30.0, database_url: str | None = None,
        scheduler: bool = True, keep: Path | None = None, profile: Path | None = None,
        socket: bool = False, overload: bool = False) -> Result:
    if clients < 2:
        raise ValueError("--clients must be at least 2 (one governance lead and SROs)")
    with tempfile.TemporaryDirectory(prefix="ragtime-ack-") as temporary:
        folder = keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        manager, slack = start_slack_side()
        sockets = SocketSide(slack) if socket else None
        try:
            for stale in folder.glob("bench.db*"):  # from an earlier run kept in the folder
                stale.unlink()
            url = database_url or f"sqlite:///{folder / 'bench.db'}"
            world = build_world(url, folder, sros=clients - 1, per_sro=per_sro, leads=1)
            slack.add_users(world.users)
            env = slack_env(api_url=slack.api_url(), database_url=url,
                            signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN,
                            governance_channel=GOVERNANCE_CHANNEL, leads=list(world.leads))
            plan = Plan(seconds=seconds, think=0.0 if overload else think,
                        compile_every=0.0 if overload else compile_every, overload=overload)
            env.update(sockets.env() if sockets else {})

            slack.set_latency(latency)
            floor_server = sockets.start_floor(env, folder) if sockets else start_floor(env, folder)
            try:
                floor = drive(floor_server, world, plan, slack=slack,
                              prompts=floor_prompts(world), modals=False, sockets=sockets)
            finally:
                floor_server.stop()
            store = (url if not url.startswith("sqlite") else
                     f"sqlite:///{folder / 'durable-floor.db'}")
            durable_server = (sockets.start_floor(env, folder, durable=store) if sockets else
                              start_floor(env, folder, durable=store))
            try:
                durable = drive(durable_server, world, plan, slack=slack,
                                prompts=floor_prompts(world), modals=False, sockets=sockets)
            finally:
                durable_server.stop()

            slack.set_latency(0.0)
            app = (sockets.start_ragtime(env, folder, scheduler=scheduler) if sockets else
                   start_ragtime(env, folder, scheduler=scheduler))
            try:
                prompts = open_round(app, world, slack, sockets)
                slack.set_latency(latency)
                ragtime = drive(app, world, plan, slack=slack, prompts=prompts, modals=True,
                                profile=profile, sockets=sockets)
                calls_before = _total(slack.counts())
                drain = wait_drained(url)
                drain_calls = _total(slack.counts()) - calls_before
                stored = check_stored(url, ragtime.recorder)
            finally:
                app.stop()
            return Result(clients=clients, latency=latency, floor=floor, durable=durable,
                          ragtime=ragtime,
                          stored=stored, slack_calls=slack.counts(),
                          drain=Drain(drain[0], drain[1], drain_calls, latency))
        finally:
            if sockets:
                sockets.stop()
            manager.shutdown()


def report(result: Result) -> None:
    floor, ragtime = result.floor, result.ragtime
    print(f"ack latency: {result.clients} simulated clients ({result.clients - 1} SROs, one "
          f"governance lead) for {ragtime.seconds:.0f} s each run; the fake Slack adds "
          f"{result.latency * 1000:.0f} ms to every Web API call")
    durable = result.durable
    print(f"  {'':26}{'requests':>9} {'p50':>11} {'p99':>11} {'max':>11} {'errors':>7}")
    labels = {id(floor): "floor (ack-only Bolt)", id(durable): "durable floor (1 row/req)",
              id(ragtime): "Ragtime"}
    for phase in (floor, durable, ragtime):
        s = phase.summary()
        print(f"  {labels[id(phase)]:26}{s.count:9d} {ms(s.p50)} {ms(s.p99)} {ms(s.max)} "
              f"{phase.failures:7d}")
    r = ragtime.summary()
    for name, base in (("Ragtime / floor", floor.summary()),
                       ("Ragtime / durable floor", durable.summary())):
        print(f"  {name:26}{ratio(r.count, base.count):8.2f} × {ratio(r.p50, base.p50):8.2f} ×"
              f"  {ratio(r.p99, base.p99):8.2f} ×  {ratio(r.max, base.max):8.2f} ×")
    print("  by kind (Ragtime p50 / p99 / max, and p99 against the durable floor's for that "
          "kind):")
    for kind in KINDS:
        mine, theirs = ragtime.summary(kind), durable.summary(kind)
        if mine.count:
            print(f"    {kind:8}{mine.count:7d} {ms(mine.p50)} {ms(mine.p99)} {ms(mine.max)}"
                  f"   p99 {ratio(mine.p99, theirs.p99):6.2f} ×")
    stored = result.stored
    accepted = sum(stored.accepted.values())
    print(f"  submissions acknowledged {accepted} (modal {stored.accepted['modal']}, thread "
          f"{stored.accepted['thread']}): lost {len(stored.lost)}, stored more than once "
          f"{len(stored.duplicated)}; HTTP answers other than 200: {ragtime.failures} "
          f"(floor: {floor.failures}, durable floor: {durable.failures})")
    if stored.lost:
        print(f"  lost (first ten): {', '.join(stored.lost[:10])}")
    if stored.waiting:
        print(f"  not stored yet but kept, their request still in the inbox for the worker: "
              f"{len(stored.waiting)}")
    if stored.unacknowledged:
        print(f"  modal submissions not acknowledged in time (Slack shows the person an error): "
              f"{stored.unacknowledged}, of which stored all the same: "
              f"{stored.unacknowledged_stored}")
    for phase in (floor, durable, ragtime):
        print(f"  CPU during the {phase.name} run, cores busy on average (of "
              f"{os.cpu_count()}): " + ", ".join(f"{name} {value:.2f}"
                                                   for name, value in phase.cpu.items()))
    for problem in ragtime.recorder.problems[:5]:
        print(f"    ! {problem}")
    drain = result.drain
    done = (f"drained in {drain.seconds:.1f} s" if drain.seconds < DRAIN_LIMIT
            else f"not all done when the benchmark stopped waiting, at {DRAIN_LIMIT:.0f} s")
    print(f"  after the clients stopped: {drain.items} item(s) waited for the worker; {done}"
          f" ({drain.calls} Web API calls; floor at the fake's latency "
          f"over the worker's threads {drain.floor:.1f} s, "
          f"{ratio(drain.seconds, drain.floor) if drain.floor else 0:.2f} ×)")
    calls = ", ".join(f"{method} {sum(outcomes.values())}"
                      for method, outcomes in sorted(result.slack_calls.items()))
    print(f"  Web API calls the app made: {calls}")
    for target, ok in result.met.items():
        print(f"  target {target}: {'met' if ok else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ack_latency",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="simulated people at once")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--latency", type=float, default=0.3,
                        help="seconds the fake Slack adds to every Web API call")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause between one person's actions, seconds")
    parser.add_argument("--per-sro", type=int, default=4, help="deliverables each SRO owns")
    parser.add_argument("--compile-every", type=float, default=30.0,
                        help="seconds between the governance lead's /compile-report "
                             "(0: none)")
    parser.add_argument("--quick", action="store_true", help="10-second runs")
    parser.add_argument("--overload", action="store_true",
                        help="true overload: no pause, a click is done once answered, forms "
                             "opened earlier are submitted later (no /compile-report)")
    parser.add_argument("--socket", action="store_true",
                        help="both servers in Socket Mode, requests as envelopes on a socket")
    parser.add_argument("--database-url", help="default: a temporary SQLite file; a PostgreSQL "
                                               "database given here must be empty")
    parser.add_argument("--no-scheduler", action="store_true",
                        help="serve with `ragtime serve --no-scheduler`")
    parser.add_argument("--keep", type=Path, help="keep the database and server logs here")
    parser.add_argument("--profile", type=Path,
                        help="sample Ragtime with py-spy during its run (stacks holding the "
                             "GIL, collapsed text, to this file) and print the top functions")
    parser.add_argument("--teams", action="store_true",
                        help="Teams activities against Ragtime on Teams alone and a floor that "
                             "only verifies the JWT (benchmarks.load.teams)")
    args = parser.parse_args(argv)
    stop_servers_on_sigterm()
    logging.basicConfig(level=logging.WARNING)
    seconds = 10.0 if args.quick else args.seconds
    if args.teams:
        return teams_bench(clients=args.clients, seconds=seconds, think=args.think,
                           database_url=args.database_url, keep=args.keep)
    result = run(clients=args.clients, seconds=seconds, latency=args.latency, think=args.think,
                 per_sro=args.per_sro, compile_every=args.compile_every,
                 database_url=args.database_url, scheduler=not args.no_scheduler, keep=args.keep,
                 profile=args.profile, socket=args.socket, overload=args.overload)
    if args.socket:
        print("Socket Mode: both servers connected to a fake Socket Mode server; each time is "
              "envelope written → ack read")
    report(result)
    if args.profile:
        print_profile(args.profile)
    return 0 if all(result.met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
