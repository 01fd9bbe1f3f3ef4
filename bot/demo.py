"""``ragtime demo``: the whole pipeline offline — fresh SQLite, bundled example, every format."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.reports import ReportView, compile_report
from bot.reports.compile import FORMATS
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

DEMO_DATABASE = "ragtime-demo.db"


@dataclass(frozen=True)
class DemoResult:
    database: Path
    paths: dict[str, Path]
    view: ReportView


def run_demo(out: Path, *, progress: Callable[[str], None] | None = None,
             formats: Iterable[str] = FORMATS) -> DemoResult:
    """A fresh SQLite database in ``out`` with the bundled example and its Q2 2024/25 updates,
    and that report compiled beside it in ``formats``; ``progress`` hears each step."""
    step = progress or (lambda _message: None)
    out.mkdir(parents=True, exist_ok=True)
    database = out / DEMO_DATABASE
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    try:
        step("Creating the database…")
        upgrade(engine)
        step("Loading the Step Up To Great example…")
        with session_scope(engine, write=True) as session:
            load_example(session)
        with session_scope(engine) as session:
            files = compile_report(
                session, EXAMPLE_PERIOD, out, formats=formats,
                progress=lambda what: step(f"Compiling {EXAMPLE_PERIOD}: {what}"))
    finally:
        engine.dispose()
    paths = {"db": database, **files.paths, "chart": files.chart,
             **({"baf": files.heatmap} if files.heatmap else {})}
    return DemoResult(database=database, paths=paths, view=files.view)
