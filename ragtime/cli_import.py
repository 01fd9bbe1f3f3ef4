"""``ragtime import`` (a framework) and ``ragtime import-updates`` (past quarters' answers):
parse, one ``bot`` call, print. Registered on the main app by ``ragtime.cli``; like its
commands, each imports what it needs when it runs, so ``ragtime --help`` stays fast."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.context import AppContext
from bot.settings import Settings, load_settings
from ragtime.cli_support import print_text
from storage.db import DatabaseError, parse_url, sqlite_file

DryRunFlag = Annotated[bool, typer.Option(
    "--dry-run", help="Show what the import would change, and change nothing.")]


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("import-updates")(import_updates)


@contextmanager
def _context(*, dry_run: bool, must_exist: bool = False) -> Iterator[AppContext]:
    """The configured database (migrated); for a dry run whose SQLite file is not there yet,
    an empty one in a temporary folder, so nothing is created where the setting points.
    ``must_exist``: a SQLite file that is not there is reported instead. (Slack's libraries,
    which ``ragtime.wiring`` imports, load only when a command runs, as in ``ragtime.cli``.)"""
    from ragtime.wiring import offline_context

    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="ragtime-dry-run-") as scratch:
        if dry_run and _missing_sqlite(settings):
            settings = settings.model_copy(
                update={"database_url": f"sqlite:///{Path(scratch) / 'dry-run.db'}"})
            print_text("(dry run against an empty database: "
                       f"{load_settings().database_url} does not exist yet)")
        ctx = offline_context(settings, read_only=must_exist)
        try:
            yield ctx
        finally:
            ctx.engine.dispose()


def _missing_sqlite(settings: Settings) -> bool:
    try:
        file = sqlite_file(parse_url(settings.database_url))
    except DatabaseError:
        return False  # reported by the context, naming the setting
    return file is not None and not file.exists()


def import_(
    file: Annotated[Path, typer.Argument(help="Framework file: .yaml/.yml, .csv or .xlsx")],
    name: Annotated[str | None, typer.Option(
        "--name", "--framework", metavar="NAME",
        help="The framework's name: for CSV/XLSX files (else the only framework, else the "
             "file's name), or to load a YAML file under another name.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Allow taking deliverables out of the rounds: those the file leaves "
                          "out, while a round is open or more than a few.")] = False,
    dry_run: DryRunFlag = False,
) -> None:
    """Load or update a framework (idempotent: re-import updates, never duplicates)."""
    from bot.framework.importer import import_file, read_framework

    spec = read_framework(file)  # a file that cannot be imported creates no database either
    with _context(dry_run=dry_run) as ctx:
        summary = import_file(ctx.engine, file, framework_name=name, spec=spec,
                              replace=replace, dry_run=dry_run)
    if not dry_run:
        print_text(f"imported {file}: {summary}")
        return
    lines = [f"dry run of {file}, nothing changed; importing it would give: {summary}"]
    lines += [f"  {change}" for change in summary.changes]
    if summary.replace_needed:
        lines.append(f"It would need --replace: {summary.replace_needed}.")
    print_text("\n".join(lines))


def import_updates(
    file: Annotated[Path, typer.Argument(
        help="Past answers: .yaml/.yml, .csv or .xlsx (period, deliverable, rag, narrative, "
             "recovery_action, recovery_date, change_reason, submitted_by, submitted_at)")],
    framework: Annotated[str | None, typer.Option(
        "--framework", metavar="NAME",
        help="The framework (else the file's framework:, else the only one).")] = None,
    dry_run: DryRunFlag = False,
) -> None:
    """Load earlier quarters' answers as imported updates (idempotent), e.g. for a strategy
    started before Ragtime."""
    from bot.framework.history import import_answers_file, read_answers

    read_answers(file)  # a file that cannot be imported touches no database either
    with _context(dry_run=False, must_exist=True) as ctx:  # answers need a framework
        summary = import_answers_file(ctx.engine, file, framework=framework, dry_run=dry_run,
                                      actor="cli")
    print_text(f"{'dry run, nothing stored: would store ' if dry_run else 'imported '}"
               f"{file}: {summary}")
