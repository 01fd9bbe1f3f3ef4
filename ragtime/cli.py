"""The ``ragtime`` command line: each command parses its arguments, makes one ``bot`` call on a
context from ``ragtime.wiring`` and prints the result.

Each command imports what it needs when it runs (WeasyPrint, matplotlib and Bolt are heavy), so
``ragtime --help`` stays instant; none of these imports avoids a cycle (import-linter checks).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.calendar.periods import Period, PeriodError
from bot.context import AppContext
from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="Ragtime: run the quarterly RAG progress cycle in Slack and compile the board report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
round_app = typer.Typer(help="Collection rounds: open, remind, status.", no_args_is_help=True)
schedule_app = typer.Typer(help="The round calendar.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(round_app, name="round")
app.add_typer(schedule_app, name="schedule")

console = Console()
errors = Console(stderr=True)

ALL_FORMATS = ("md", "html", "docx", "pdf")
# ``--framework NAME`` on every command that reads a framework: needed when there are several.
FrameworkOption = Annotated[str | None, typer.Option(
    "--framework", help="The framework's name (needed when the database holds several).")]
RAG_STYLE = {"red": "bold white on red", "amber": "bold black on dark_orange",
             "green": "bold white on green", None: "dim"}


class UserError(Exception):
    """An error whose message is for the person at the terminal (no traceback)."""


def _user_errors() -> tuple[type[BaseException], ...]:
    """Domain errors shown as one clear line; imported lazily to keep start-up fast."""
    from bot.calendar.round_calendar import CalendarError
    from bot.collection.rounds import RoundError
    from bot.framework.choice import FrameworkChoiceError
    from bot.framework.importer import FrameworkImportError
    from bot.reports import ReportError
    from bot.reports.errors import PublishError

    return (UserError, PeriodError, SettingsError, FrameworkImportError, CalendarError,
            ReportError, RoundError, PublishError, FrameworkChoiceError)


def main() -> None:
    try:
        app()
    except Exception as error:
        if not isinstance(error, _user_errors()):
            raise
        errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)


# ---------------------------------------------------------------- shared plumbing


def _settings() -> Settings:
    return load_settings()


@contextmanager
def _offline() -> Iterator[AppContext]:
    """A context on the configured database (migrated) that reaches nobody."""
    from ragtime.wiring import offline_context

    ctx = offline_context(_settings())
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _period(text: str) -> Period:
    return Period.parse(text)


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown or not chosen:
        raise UserError(f"unknown format(s) {', '.join(unknown) or '(none)'}; "
                        f"choose from {','.join(ALL_FORMATS)}")
    return chosen


def _rag_cell(rag: str | None) -> str:
    label = rag.capitalize() if rag else "no update"
    return f"[{RAG_STYLE.get(rag, 'dim')}] {label} [/]"


# ---------------------------------------------------------------- demo / import / compile


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the database and report files.")]
    = Path("demo-report"),
) -> None:
    """Offline demo: fresh SQLite, the bundled example, every report format compiled."""
    from bot.demo import run_demo

    with console.status("Starting…") as status:
        result = run_demo(out, progress=status.update)
    _print_summary(result.view)
    _print_written(result.paths)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Framework file: .yaml/.yml, .csv or .xlsx")],
    name: Annotated[str | None, typer.Option(
        "--name", "--framework",
        help="The framework's name: for CSV/XLSX files (else the only framework, else the "
             "file's name), or to load a YAML file under another name.")] = None,
) -> None:
    """Load or update a framework (idempotent: re-import updates, never duplicates)."""
    from bot.framework.importer import import_file

    with _offline() as ctx:
        summary = import_file(ctx.engine, file, framework_name=name)
    console.print(f"[green]imported[/] {file}: {summary}")


@app.command()
def compile(
    period: Annotated[str, typer.Argument(help="'2024/25 Q2', or '2024/25' with --closure")],
    out: Annotated[Path, typer.Option(help="Folder for the report files.")] = Path("."),
    format: Annotated[str, typer.Option("--format", help="Comma-separated: md,html,docx,pdf")]
    = ",".join(ALL_FORMATS),
    post: Annotated[bool, typer.Option("--post", help="Post to the governance channel.")] = False,
    closure: Annotated[bool, typer.Option("--closure", help="Year-end closure report.")] = False,
    meeting: Annotated[str | None, typer.Option(help="Cover: the meeting, e.g. 'Trust Board'.")]
    = None,
    date: Annotated[str | None, typer.Option(help="Cover: date submitted, e.g. 2024-10-15.")]
    = None,
    sponsor: Annotated[str | None, typer.Option(help="Cover: the paper's sponsor.")] = None,
    author: Annotated[str | None, typer.Option(help="Cover: the paper's author.")] = None,
    decision: Annotated[str | None, typer.Option(help="Cover: the decision required.")] = None,
    cover_values: Annotated[list[str] | None, typer.Option(
        "--cover", help="Cover: any other row as KEY=VALUE (repeatable), e.g. "
                        "--cover 'equality=No impact identified'.")] = None,
    framework: FrameworkOption = None,
) -> None:
    """Compile the report for a period (or the year-end closure report)."""
    from bot.reports.targets import normalise_cover

    formats = _formats(format)
    given = dict(_cover_pairs(cover_values or []))
    given |= {k: v for k, v in {"meeting": meeting, "date": date, "sponsor": sponsor,
                                "author": author, "decision_required": decision}.items() if v}
    cover = normalise_cover(given)
    if post:
        _compile_and_post(period, out=out, formats=formats, closure=closure, cover=cover,
                          framework=framework)
        return
    from bot.reports import ReportView
    from bot.reports.files import write_report

    with _offline() as ctx, console.status(f"Compiling {period}…") as status:
        files = write_report(ctx, period, out, closure=closure, formats=formats,
                             cover_overrides=cover, progress=status.update,
                             framework=framework)
    if isinstance(files.view, ReportView):
        _print_summary(files.view)
    _print_written({**files.paths, "chart": files.chart})


def _cover_pairs(values: list[str]) -> Iterator[tuple[str, str]]:
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise UserError(f"--cover takes KEY=VALUE (e.g. --cover 'equality=None'), "
                            f"not {value!r}")
        yield key.strip(), text.strip()


def _compile_and_post(period: str, *, out: Path, formats: tuple[str, ...], closure: bool,
                      cover: dict[str, object], framework: str | None) -> None:
    from bot.reports.publish import publish_report

    with _slack_context() as ctx, console.status("Compiling and posting…") as status:
        outcome = publish_report(ctx, period, actor=_cli_actor(), closure=closure,
                                 cover_overrides=cover, out_dir=out, formats=formats,
                                 progress=status.update, framework=framework)
    console.print(str(outcome), highlight=False)


@app.command()
def export(
    period: Annotated[str, typer.Argument(help="e.g. '2024/25 Q2'")],
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    framework: FrameworkOption = None,
) -> None:
    """Every deliverable of the period with its latest update, to stdout."""
    from bot.reports.export import export_period, write_csv, write_json

    writers = {"json": write_json, "csv": write_csv}
    if format not in writers:
        raise UserError(f"unknown export format '{format}'; choose json or csv")
    target = _period(period)
    with _offline() as ctx:
        rows = export_period(ctx.engine, target, framework=framework)
    writers[format](rows, sys.stdout)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(
        help="HTTP port: POST /slack/events and GET /healthz (with --socket: /healthz only).")]
    = 3000,
    socket: Annotated[bool, typer.Option("--socket", help="Socket Mode (SLACK_APP_TOKEN).")]
    = False,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler",
                                               help="Serve Slack only; no scheduled jobs.")]
    = False,
) -> None:
    """Run the bot: HTTP (or Socket Mode) and, unless --no-scheduler, the round calendar."""
    from ragtime.app import run_server, start_scheduler_for

    settings = _settings()
    settings.require_slack(socket=socket)
    run_server(settings, host=host, port=port, socket=socket,
               start_scheduler=None if no_scheduler else start_scheduler_for)


@round_app.command("open")
def round_open(period: Annotated[str, typer.Argument(help="e.g. '2024/25 Q3'")],
               framework: FrameworkOption = None) -> None:
    """Open the round and DM every SRO a prompt per deliverable (never twice)."""
    from bot.collection.flows import open_round_and_prompt

    with _slack_context() as ctx, console.status(f"Opening {period} and prompting SROs…"):
        summary = open_round_and_prompt(ctx, _period(period), opened_by=_cli_actor(),
                                        framework=framework)
    console.print(str(summary), highlight=False)


@round_app.command("remind")
def round_remind(
    period: Annotated[str, typer.Argument(help="e.g. '2024/25 Q3'")],
    stage: Annotated[str | None, typer.Option(help="Reminder name; one per stage per SRO "
                                              "(default: manual-<today>).")] = None,
    framework: FrameworkOption = None,
) -> None:
    """Remind the SROs still outstanding, listing their deliverables."""
    from bot.collection.flows import remind_outstanding

    with _slack_context() as ctx, console.status(f"Reminding outstanding SROs for {period}…"):
        summary = remind_outstanding(ctx, _period(period), stage=stage, framework=framework)
    console.print(str(summary), highlight=False)


@round_app.command("status")
def round_status(period: Annotated[str, typer.Argument(help="e.g. '2024/25 Q3'")],
                 framework: FrameworkOption = None) -> None:
    """Who is outstanding, by theme (no Slack needed)."""
    from bot.collection.flows import round_status_text

    target = _period(period)
    with _offline() as ctx:
        console.print(round_status_text(ctx.engine, target, framework=framework),
                      highlight=False)


@contextmanager
def _slack_context() -> Iterator[AppContext]:
    from ragtime.wiring import outbound_context

    ctx = outbound_context(_settings())
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@schedule_app.command("show")
def schedule_show(
    period: Annotated[str | None, typer.Argument(help="e.g. '2024/25 Q3'; default: current")]
    = None,
    framework: FrameworkOption = None,
) -> None:
    """The planned jobs of a round, with dates and times (Europe/London unless configured)."""
    from bot.framework.choice import framework_id
    from schedules import calendar_for
    from schedules import schedule_show as planned

    settings = _settings()
    target = _period(period) if period else None
    with _offline() as ctx:
        calendar = calendar_for(ctx.engine, timezone=settings.timezone,
                                framework_id=framework_id(ctx.engine, framework))
        rows = planned(target, calendar, engine=ctx.engine)
    table = Table(title=f"Round calendar ({settings.timezone})", title_justify="left")
    for column in ("Period", "Job", "When", "What", "Status"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.period, row.job, row.run_at.strftime("%a %d %b %Y %H:%M"), row.what,
                      row.status)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done on every start)."""
    from storage.migrate import current

    with _offline() as ctx:
        console.print(f"database at revision [bold]{', '.join(current(ctx.engine))}[/]")


@app.command()
def backup(
    destination: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump).")],
) -> None:
    """Consistent online backup of the database (safe while the bot runs)."""
    from storage.backup import BackupError, backup_database

    try:
        written = backup_database(_settings().database_url, destination)
    except BackupError as error:
        raise UserError(str(error)) from error
    console.print(f"[green]backed up[/] to {written}")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A SQLite backup made by `ragtime backup`.")],
) -> None:
    """Restore a SQLite backup over the configured database (stop the bot first)."""
    from storage.backup import BackupError, restore_sqlite

    try:
        target = restore_sqlite(source, _settings().database_url)
    except BackupError as error:
        raise UserError(str(error)) from error
    console.print(f"[green]restored[/] {source} into {target}")


# ---------------------------------------------------------------- output helpers


def _print_summary(view) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"{view.framework_name} — {view.period_label}", title_justify="left")
    table.add_column("Theme")
    for column in ("Green", "Amber", "Red", "No update", "Total"):
        table.add_column(column, justify="right")
    for theme in view.themes:
        counts = theme.rag_counts
        table.add_row(theme.name, str(counts.green), str(counts.amber), str(counts.red),
                      str(counts.missing), str(counts.total))
    total = view.rag_counts
    table.add_row("[bold]All themes[/]", str(total.green), str(total.amber), str(total.red),
                  str(total.missing), str(total.total), end_section=True)
    console.print(table)


def _print_written(paths: dict[str, Path]) -> None:
    for kind, path in paths.items():
        console.print(f"  [bold]{kind:<5}[/] {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
