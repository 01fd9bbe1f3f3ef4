"""Memory of ``ragtime serve``: idle, and after a round of 2,000 SROs.

    python -m benchmarks.bench_memory [--sros 2000] [--submissions 200] [--compile] [--quick]

Starts ``ragtime serve`` (HTTP mode, with the scheduler, as an operator runs it) against the fake
Slack Web API (in its own process) and a fresh SQLite database holding a framework of ``--sros``
SROs with one deliverable each. It reads the server's ``VmRSS`` (resident now) and ``VmHWM``
(peak) from ``/proc/<pid>/status``: once idle, and once a governance lead has opened the round
from the App Home (the server fans out one prompt per SRO) and ``--submissions`` SROs have
answered, half by modal and half by thread reply. ``--compile`` then has the lead run
``/compile-report`` (every format, PDF included) and reads the figures again.

The baseline is a bare ``python -c "import slack_bolt, sqlalchemy"`` measured in the same run. The
target is under 150 MB resident; the exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_ack_latency import GOVERNANCE_CHANNEL, open_round
from benchmarks.load.clients import (
    Prompt,
    SlackTransport,
    click_trigger,
    fill_form,
    new_token,
)
from benchmarks.load.servers import (
    MB,
    Memory,
    ServerProcess,
    children_of,
    memory_of,
    slack_env,
    start_ragtime,
    stop_servers_on_sigterm,
    threads_of,
)
from benchmarks.load.slack_side import start_slack_side
from benchmarks.load.world import World, build_world
from tests.fakeslack import BOT_TOKEN
from tests.support.slack_requests import (
    SIGNING_SECRET,
    block_actions,
    button,
    dm_message,
    slash_command,
    view_submission,
)

TARGET_MB = 150.0
IDLE_SETTLE_SECONDS = 3.0
BASELINE = (
    "import slack_bolt, sqlalchemy, pathlib; "
    "print(pathlib.Path('/proc/self/status').read_text())"
)


@dataclass
class Pair:
    """``ragtime serve`` (acknowledging), its worker and the zygote the worker was forked from
    (``ragtime.worker_zygote``), measured at the same moment."""

    server: Memory
    worker: Memory
    zygote: Memory | None = None

    @classmethod
    def of(cls, app: ServerProcess) -> Pair:
        descendants = app.children()
        if not descendants:
            raise RuntimeError("ragtime serve has no worker child")
        first = descendants[0]
        forked = children_of(first)
        if forked and threads_of(first) == 1:  # the zygote, and the worker it forked
            return cls(app.memory(), memory_of(forked[0]), memory_of(first))
        return cls(app.memory(), memory_of(first))

    @property
    def processes(self) -> list[Memory]:
        return [self.server, self.worker, *([self.zygote] if self.zygote else [])]

    @property
    def together(self) -> Memory:
        return Memory(rss=sum(m.rss for m in self.processes),
                      peak=sum(m.peak for m in self.processes),
                      pss=sum(m.pss for m in self.processes))


@dataclass
class Result:
    sros: int
    baseline: Memory
    idle: Pair
    after_round: Pair
    after_compile: Pair | None = None
    round_seconds: float = 0.0
    submissions: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def worst(self) -> Pair:
        return self.after_compile or self.after_round

    @property
    def met(self) -> bool:
        """Each process under the target (the worker's compile child is not counted: it
        exits when the paper is written)."""
        return all(memory.peak / MB < TARGET_MB
                   for memory in (self.worst.server, self.worst.worker))


def baseline_memory() -> Memory:
    """A Python process that has imported Bolt and SQLAlchemy and nothing else."""
    status = subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True,
                            check=True).stdout
    fields = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return Memory(rss=fields["VmRSS"], peak=fields["VmHWM"])


def answer(app: ServerProcess, world: World, slack, prompts: dict[str, list[Prompt]],  # type: ignore[no-untyped-def]
           count: int) -> list[str]:
    """``count`` SROs answer: even ones through the modal, odd ones in the prompt's thread."""
    import random

    transport = SlackTransport(app.url, response_url=slack.response_url)
    rng = random.Random(0)
    problems: list[str] = []

    def one(n: int) -> None:
        user = world.sros[n]
        prompt = prompts[user][0]
        if n % 2:
            status, body, _ = transport.post(dm_message(
                f"Green - {new_token(user, 'thread')}", user=user, channel=prompt.channel,
                thread_ts=prompt.ts))
        else:
            click = block_actions([button("open_update", prompt.value, block_id="prompt")],
                                  user_id=user, channel_id=prompt.channel,
                                  message_ts=prompt.ts, response_url=slack.response_url())
            status, body, _ = transport.post(click)
            view = slack.form_for(click_trigger(click), 20.0) if status == 200 else None
            if view is None:
                problems.append(f"{user}: no form ({status} {body[:100]})")
                return
            status, body, _ = transport.post(view_submission(
                view["callback_id"], fill_form(view, new_token(user, "modal"), rng),
                private_metadata=view["private_metadata"], user_id=user, view_id=view["id"],
                view_hash=view["hash"], blocks=view["blocks"]))
        if status != 200:
            problems.append(f"{user}: HTTP {status} {body[:100]}")

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(one, range(min(count, len(world.sros)))))
    return problems


def compile_report(app: ServerProcess, world: World, slack, timeout: float) -> str | None:  # type: ignore[no-untyped-def]
    """The lead runs ``/compile-report``; waits for the report's files to reach Slack."""
    before = slack.counts().get("files.completeUploadExternal", {}).get("ok", 0)
    transport = SlackTransport(app.url, response_url=slack.response_url)
    status, body, _ = transport.post(slash_command("/compile-report", "", user_id=world.leads[0],
                                                   response_url=slack.response_url()))
    if status != 200:
        return f"/compile-report: HTTP {status} {body[:200]}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if slack.counts().get("files.completeUploadExternal", {}).get("ok", 0) > before:
            return None
        time.sleep(0.5)
    return f"no report files reached Slack within {timeout:.0f}s"


def run(*, sros: int = 2000, submissions: int = 200, compile: bool = False,
        keep: Path | None = None, settle: float = IDLE_SETTLE_SECONDS) -> Result:
    baseline = baseline_memory()
    with tempfile.TemporaryDirectory(prefix="ragtime-memory-") as temporary:
        folder = keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("bench.db*"):
            stale.unlink()
        manager, slack = start_slack_side()
        try:
            url = f"sqlite:///{folder / 'bench.db'}"
            world = build_world(url, folder, sros=sros, per_sro=1, leads=1)
            slack.add_users(world.users)
            env = slack_env(api_url=slack.api_url(), database_url=url,
                            signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN,
                            governance_channel=GOVERNANCE_CHANNEL, leads=list(world.leads))
            app = start_ragtime(env, folder)
            try:
                time.sleep(settle)
                idle = Pair.of(app)
                started = time.monotonic()
                prompts = open_round(app, world, slack)
                round_seconds = time.monotonic() - started
                problems = answer(app, world, slack, prompts, submissions)
                time.sleep(settle)  # replies are handled after their ack
                result = Result(sros=sros, baseline=baseline, idle=idle,
                                after_round=Pair.of(app), round_seconds=round_seconds,
                                submissions=min(submissions, sros), problems=problems)
                if compile:
                    problem = compile_report(app, world, slack, timeout=60 + sros * 0.1)
                    if problem:
                        result.problems.append(problem)
                    result.after_compile = Pair.of(app)
                return result
            finally:
                app.stop()
        finally:
            manager.shutdown()


def report(result: Result) -> None:
    base = result.baseline

    def line(label: str, memory: Memory) -> str:
        return (f"  {label:40} {memory.rss_mb:7.1f} MB {memory.peak_mb:7.1f} MB "
                f"{memory.rss / base.rss:6.2f} × {memory.peak_mb / TARGET_MB:6.2f} ×")

    print(f"memory of `ragtime serve` (HTTP, SQLite) and its worker child (scheduler on) with "
          f"{result.sros:,} SROs")
    print(f"  {'':40} {'VmRSS':>10} {'VmHWM':>10} {'vs base':>8} {'peak/150':>8}")
    print(line("baseline: import slack_bolt, sqlalchemy", base))
    moments = [("idle", result.idle),
               (f"after the round ({result.submissions} answers)", result.after_round)]
    if result.after_compile:
        moments.append(("after /compile-report", result.after_compile))
    for label, pair in moments:
        print(line(f"{label}: server", pair.server))
        print(line(f"{label}: worker", pair.worker))
        if pair.zygote:
            print(line(f"{label}: worker zygote", pair.zygote))
        zygote = f", zygote {pair.zygote.pss_mb:.1f}" if pair.zygote else ""
        print(f"  {label + ': together':40} {pair.together.rss_mb:7.1f} MB RSS, "
              f"{pair.together.pss_mb:.1f} MB PSS (server {pair.server.pss_mb:.1f}, worker "
              f"{pair.worker.pss_mb:.1f}{zygote})")
    print(f"  round opened and {result.sros:,} prompts fanned out in {result.round_seconds:.1f} s")
    for problem in result.problems[:5]:
        print(f"    ! {problem}")
    verdict = "met" if result.met else "MISSED"
    print(f"  target each process under {TARGET_MB:.0f} MB resident (peaks: server "
          f"{result.worst.server.peak_mb:.1f} MB, worker {result.worst.worker.peak_mb:.1f} MB): "
          f"{verdict}")
    idle = result.idle.together.pss_mb
    print(f"  idle, the processes together: {idle:.1f} MB PSS, {idle / TARGET_MB:.2f}× the "
          f"{TARGET_MB:.0f} MB goal: {'met' if idle < TARGET_MB else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sros", type=int, default=2000, help="SROs (one deliverable each)")
    parser.add_argument("--submissions", type=int, default=200,
                        help="SROs who answer (half by modal, half by thread reply)")
    parser.add_argument("--compile", action="store_true",
                        help="then compile the report from Slack and measure again")
    parser.add_argument("--quick", action="store_true", help="200 SROs, 50 answers")
    parser.add_argument("--keep", type=Path, help="keep the database and server log here")
    args = parser.parse_args(argv)
    stop_servers_on_sigterm()
    sros, submissions = (200, 50) if args.quick else (args.sros, args.submissions)
    result = run(sros=sros, submissions=submissions, compile=args.compile, keep=args.keep)
    report(result)
    print(json.dumps({"idle_mb": {"server": round(result.idle.server.rss_mb, 1),
                                   "worker": round(result.idle.worker.rss_mb, 1)},
                      "idle_pss_mb": {"server": round(result.idle.server.pss_mb, 1),
                                      "worker": round(result.idle.worker.pss_mb, 1),
                                      "together": round(result.idle.together.pss_mb, 1)},
                      "after_round_mb": {"server": round(result.after_round.server.rss_mb, 1),
                                         "worker": round(result.after_round.worker.rss_mb, 1)},
                      "peak_mb": {"server": round(result.worst.server.peak_mb, 1),
                                  "worker": round(result.worst.worker.peak_mb, 1)}}))
    return 0 if result.met and not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
