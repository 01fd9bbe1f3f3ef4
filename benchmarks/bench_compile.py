"""Compile benchmark: does compiling a report scale linearly with the number of deliverables?

    python -m benchmarks.bench_compile [--small 100] [--large 1000] [--quick]

Builds two frameworks in temporary SQLite files — ``--small`` and ``--large`` deliverables, each
with 8 quarters of history (some resubmissions, some missing updates, BAF risk scores every
quarter) — then compiles the latest quarter in every format, timing each step. It prints each
step's time for both sizes and the ratio large/small against the linear expectation
(large/small, 10 by default): figures as ratios against a baseline measured in the same run, so
they mean the same on any machine. It also prints the SQL queries each compile ran, which must be
the same for both sizes (the exit status is 1 otherwise). ``--quick`` uses 30 and 300.

``--against CHECKOUT`` compares the PDF with another version of Ragtime measured in the same
run: this benchmark runs in CHECKOUT (e.g. ``git worktree add /tmp/before e135c2c``, the paper
before its summary, trend marks and tagging) and in this tree, one after the other,
``--rounds`` times each, in fresh processes, and prints the median PDF times and their ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.reports import compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    Person,
    Rag,
    Risk,
    RiskScore,
    Role,
    Theme,
    Update,
)
from tests.support.queries import watching

QUARTERS = [Period(2023, q) for q in range(1, 5)] + [Period(2024, q) for q in range(1, 5)]
REPORTED = QUARTERS[-1]
THEMES = ("Great Outcomes", "Great Care", "Great Place to Work", "Part of the Community")
AREAS = ("Access", "Research or Innovation", "Environment & Sustainability", "Workforce",
         "Inclusive Culture", "Partnerships", "Health Inequalities")
WORDS = ("policy", "delivery", "group", "directorate", "access", "review", "quality", "plan",
         "progress", "assurance", "partnership", "workforce", "agency", "governance", "national",
         "guidance", "implementation", "monitored", "risk", "recovery", "Trust", "system")
STEPS = ("reading updates", "drawing the chart", "writing Markdown", "writing HTML",
         "writing Word", "writing PDF")


@dataclass
class Run:
    deliverables: int
    steps: dict[str, float] = field(default_factory=dict)
    queries: int = 0
    pages_bytes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.steps.values())


def populate(engine: Engine, deliverables: int, *, seed: int = 7) -> None:
    """A framework of ``deliverables`` rows with 8 quarters of updates, inserted in bulk."""
    rng = random.Random(seed)
    with session_scope(engine, write=True) as session:
        framework = Framework(name="Step Up To Great", organisation="Benchmark NHS Trust",
                              cover={"meeting": "Public Trust Board"})
        session.add(framework)
        session.flush()
        themes = []
        for position, name in enumerate(THEMES):
            theme = Theme(framework_id=framework.id, name=name, position=position,
                          ambition=_text(rng, 40), objectives=[_text(rng, 20), _text(rng, 25)])
            session.add(theme)
            themes.append(theme)
        periods = [stored_period(session, quarter) for quarter in QUARTERS]
        session.flush()
        people = max(deliverables // 5, 2)
        session.execute(insert(Person), [
            {"key": f"p{i}", "name": f"Person {i}", "title": "Director of Something",
             "email": f"p{i}@example.nhs.uk"} for i in range(people)])
        person_ids = list(session.exec(select(Person.id).order_by(Person.id)))
        session.execute(insert(Risk), [
            {"framework_id": framework.id, "theme_id": theme.id, "number": f"{i:02d}",
             "title": _text(rng, 25), "position": i}
            for i, theme in enumerate(t for t in themes for _ in range(2))])
        risk_ids = list(session.exec(select(Risk.id).order_by(Risk.id)))
        session.execute(insert(RiskScore), [
            {"risk_id": risk, "period_id": period.id, "score": rng.randint(4, 25),
             "direction": rng.choice(("up", "down", "static", None))}
            for risk in risk_ids for period in periods])
        session.execute(insert(Deliverable), [
            {"framework_id": framework.id, "theme_id": themes[i % len(themes)].id,
             "ref": f"D-{i}", "area": AREAS[i % len(AREAS)], "title": _text(rng, 18),
             "number": "", "position": i, "active": i % 50 != 49}
            for i in range(deliverables)])
        deliverable_ids = list(session.exec(select(Deliverable.id).order_by(Deliverable.id)))
        owners = []
        for i, deliverable in enumerate(deliverable_ids):
            owners.append({"deliverable_id": deliverable, "person_id": person_ids[i % people],
                           "role": Role.sro, "position": 0})
            if i % 7 == 0:  # joint SROs
                owners.append({"deliverable_id": deliverable, "role": Role.sro, "position": 1,
                               "person_id": person_ids[(i + 1) % people]})
        session.execute(insert(DeliverableOwner), owners)
        updates = []
        for deliverable in deliverable_ids:
            for period in periods:
                if rng.random() < 0.05:  # no update this quarter
                    continue
                versions = 2 if rng.random() < 0.1 else 1
                for version in range(1, versions + 1):
                    updates.append({
                        "deliverable_id": deliverable, "period_id": period.id,
                        "version": version, "rag": rng.choice((Rag.green,) * 6 + (Rag.amber,) * 3
                                                              + (Rag.red,)),
                        "narrative": _text(rng, rng.randint(30, 110)),
                        "submitted_by_id": rng.choice(person_ids), "source": "modal"})
        for start in range(0, len(updates), 5000):
            session.execute(insert(Update), updates[start:start + 5000])


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def measure(deliverables: int, folder: Path) -> Run:
    engine = make_engine(f"sqlite:///{folder / f'bench-{deliverables}.db'}")
    try:
        upgrade(engine)
        populate(engine, deliverables)
        run = Run(deliverables)
        marks: list[tuple[str, float]] = []
        with session_scope(engine) as session, watching(engine) as seen:
            files = compile_report(session, REPORTED, folder / f"out-{deliverables}",
                                   progress=lambda step: marks.append((step, time.perf_counter())))
            marks.append(("end", time.perf_counter()))
        run.queries = seen.count
        run.steps = {step: after - at for (step, at), (_, after) in pairwise(marks)}
        run.pages_bytes = {fmt: path.stat().st_size for fmt, path in files.paths.items()}
        assert len(files.view.rows) >= deliverables * 0.97, "rows went missing"
        return run
    finally:
        engine.dispose()


def report(small: Run, large: Run) -> bool:
    expected = large.deliverables / small.deliverables
    print(f"\nCompile of {REPORTED.label} with {len(QUARTERS)} quarters of history "
          f"(linear expectation: ratio {expected:g})\n")
    print(f"{'step':<20}{small.deliverables:>10,}{large.deliverables:>10,}"
          f"{'ratio':>9}{'vs linear':>11}")
    for step in [*STEPS, "total"]:
        a = small.total if step == "total" else small.steps.get(step, 0.0)
        b = large.total if step == "total" else large.steps.get(step, 0.0)
        ratio = b / a if a else float("nan")
        print(f"{step:<20}{a:>9.2f}s{b:>9.2f}s{ratio:>9.1f}{ratio / expected:>10.2f}x")
    print(f"\nSQL queries per compile: {small.queries} ({small.deliverables:,} deliverables), "
          f"{large.queries} ({large.deliverables:,})")
    sizes = ", ".join(f"{fmt} {size / 1024:,.0f} KiB" for fmt, size in large.pages_bytes.items())
    print(f"Files for {large.deliverables:,}: {sizes}")
    same = small.queries == large.queries
    if not same:
        print("FAIL: the number of queries grows with the number of deliverables")
    return same


HERE = Path(__file__).resolve().parents[1]
_PDF_LINE = re.compile(r"^writing PDF\s+([\d.]+)s\s+([\d.]+)s", re.MULTILINE)


def pdf_seconds(checkout: Path, small: int, large: int) -> tuple[float, float]:
    """This benchmark's PDF times (small, large), run in ``checkout`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_compile", "--small", str(small),
         "--large", str(large)],
        cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)},
        capture_output=True, text=True, check=False)
    found = _PDF_LINE.search(done.stdout)
    if not found:
        raise SystemExit(f"no PDF time from the benchmark in {checkout}:\n{done.stderr[-2000:]}")
    return float(found[1]), float(found[2])


def compare(before: Path, small: int, large: int, rounds: int) -> None:
    times: dict[str, list[float]] = {"before": [], "after": []}
    for round_ in range(1, rounds + 1):
        for name, checkout in (("before", before), ("after", HERE)):
            _, seconds = pdf_seconds(checkout, small, large)
            times[name].append(seconds)
            print(f"round {round_}: {name:<6} PDF of {large:,} deliverables {seconds:6.2f} s",
                  flush=True)
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"\nPDF of {large:,} deliverables, median of {rounds}: before ({before}) {b:.2f} s, "
          f"after (this tree) {a:.2f} s: ratio {a / b:.2f} (no slower: <= 1.00)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="30 and 300 deliverables")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="compare the PDF with this checkout of Ragtime, in the same run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    small, large = (30, 300) if args.quick else (args.small, args.large)
    if args.against:
        compare(args.against.resolve(), small, large, args.rounds)
        return 0
    with tempfile.TemporaryDirectory(prefix="ragtime-bench-") as tmp:
        folder = Path(tmp)
        warm_up = folder / "warm-up"
        warm_up.mkdir()
        measure(min(10, small), warm_up)  # imports, fonts, template compilation
        runs = [measure(size, folder) for size in (small, large)]
    return 0 if report(*runs) else 1


if __name__ == "__main__":
    sys.exit(main())
