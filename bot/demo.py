"""``ragtime demo``: the whole pipeline offline — fresh SQLite, bundled example, every format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.reports import ReportView, compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

DEMO_DATABASE = "ragtime-demo.db"


@dataclass(frozen=True)
class DemoResult:
    database: Path
    paths: dict[str, Path]
    view: ReportView


def run_demo(out: Path, *, console: Console | None = None) -> DemoResult:
    console = console or Console(quiet=True)
    out.mkdir(parents=True, exist_ok=True)
    database = out / DEMO_DATABASE
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with console.status("Creating the database…") as status:
            upgrade(engine)
            status.update("Loading the Step Up To Great example…")
            with session_scope(engine, write=True) as session:
                load_example(session)
            with session_scope(engine) as session:
                files = compile_report(
                    session, EXAMPLE_PERIOD, out,
                    progress=lambda step: status.update(f"Compiling {EXAMPLE_PERIOD}: {step}"),
                )
    finally:
        engine.dispose()
    paths = {"db": database, **files.paths, "chart": files.chart}
    return DemoResult(database=database, paths=paths, view=files.view)
