"""The ``ragtime`` command line: each command parses its arguments, makes one ``bot`` call on a
context from ``ragtime.wiring`` and prints the result.

Each command imports what it needs when it runs (WeasyPrint, matplotlib and Bolt are heavy), so
``ragtime --help`` stays instant; none of these imports avoids a cycle (import-linter checks).

A new command takes its period as ``PeriodArg`` (read with ``_period``), offers ``--json`` with
``JsonFlag`` and ``print_json``, prints tables with ``print_table`` and raises ``UserError`` (or a
domain error listed in ``ragtime.cli_support``) for anything the operator must fix: all of these
live in ``ragtime.cli_support``, so every command parses, prints and fails alike.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from bot.context import AppContext
from bot.settings import Settings, load_settings
from ragtime import cli_env, cli_import, cli_risks
from ragtime.cli_away import register as register_away
from ragtime.cli_framework import framework_app
from ragtime.cli_support import (
    JsonFlag,
    OptionalPeriodArg,
    PeriodArg,
    UserError,
    console,
    fail,
    period_text,
    print_json,
    print_paths,
    print_table,
    print_text,
    run,
    writable_folder,
)
from ragtime.cli_support import period as _period
from ragtime.cli_teams import teams_app

app = typer.Typer(
    help="Ragtime: run the quarterly RAG progress cycle in Slack and compile the board report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: flags read as flags, not "--post <bool>"
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True, rich_markup_mode=None)
round_app = typer.Typer(help="Collection rounds: open, remind, status, links.",
                        no_args_is_help=True,
                        rich_markup_mode=None)
schedule_app = typer.Typer(help="The round calendar.", no_args_is_help=True,
                           rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(round_app, name="round")
app.add_typer(schedule_app, name="schedule")
register_away(app, round_app)  # ``away …`` and ``round extend`` (ragtime.cli_away)
cli_import.register(app)  # import, import-updates
cli_env.register(app)  # --env-file FILE, before any command
app.add_typer(framework_app, name="framework")
app.add_typer(teams_app, name="teams")
app.command("risks")(cli_risks.risks)

ALL_FORMATS = ("md", "html", "docx", "pdf")
# ``--framework NAME`` on every command that reads a framework: needed when there are several.
FrameworkOption = Annotated[str | None, typer.Option(
    "--framework", metavar="NAME",
    help="The framework's name (needed when the database holds several).")]
OutOption = Annotated[Path, typer.Option("--out", metavar="DIR",
                                         help="Folder for the report files.")]

__all__ = ["UserError", "app", "main"]


def main() -> None:
    run(app)


# ---------------------------------------------------------------- shared plumbing


def _settings() -> Settings:
    return load_settings()


@contextmanager
def _offline(*, read_only: bool = False) -> Iterator[AppContext]:
    """A context on the configured database (migrated) that reaches nobody. ``read_only``
    commands report a SQLite file that is not there instead of creating it."""
    from ragtime.wiring import offline_context

    ctx = offline_context(_settings(), read_only=read_only)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown or not chosen:
        raise UserError(f"unknown format(s) {', '.join(unknown) or '(none)'}; "
                        f"choose from {','.join(ALL_FORMATS)}")
    return chosen


def _without_pdf(formats: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """``formats`` less the PDF when this machine cannot write one, and why (else None)."""
    if "pdf" not in formats:
        return formats, None
    from bot.reports.render import pdf_unavailable

    reason = pdf_unavailable()
    return (tuple(f for f in formats if f != "pdf"), reason) if reason else (formats, None)


# ---------------------------------------------------------------- demo / import / compile


@app.command()
def demo(
    out: OutOption = Path("demo-report"),
    as_json: JsonFlag = False,
) -> None:
    """Offline demo: fresh SQLite, the bundled example, every report format compiled."""
    from bot.demo import run_demo

    writable_folder(out)
    formats, no_pdf = _without_pdf(ALL_FORMATS)
    with console.status("Starting…") as status:
        result = run_demo(out, progress=status.update, formats=formats)
    _print_report(result.view, result.paths, as_json=as_json)
    _stop_if(no_pdf)


@app.command()
def compile(
    period: PeriodArg,
    out: OutOption = Path("."),
    format: Annotated[str, typer.Option(
        "--format", metavar="LIST", help="Comma-separated: md,html,docx,pdf")]
    = ",".join(ALL_FORMATS),
    post: Annotated[bool, typer.Option("--post", help="Post to the governance channel.")] = False,
    closure: Annotated[bool, typer.Option(
        "--closure", help="Year-end closure report (PERIOD is then a year, e.g. 2024/25).")]
    = False,
    meeting: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Cover: the meeting, e.g. 'Trust Board'.")]
    = None,
    date: Annotated[str | None, typer.Option(
        metavar="DATE", help="Cover: date submitted, e.g. 2024-10-15.")]
    = None,
    sponsor: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Cover: the paper's sponsor.")] = None,
    author: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Cover: the paper's author.")] = None,
    decision: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Cover: the decision required.")] = None,
    cover_values: Annotated[list[str] | None, typer.Option(
        "--cover", metavar="KEY=VALUE", help="Cover: any other row as KEY=VALUE (repeatable), e.g. "
                        "--cover 'equality=No impact identified'.")] = None,
    framework: FrameworkOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Compile the report for a period (or the year-end closure report)."""
    from bot.reports.targets import normalise_cover

    target = period_text(period)
    if not closure:
        target = _period(target).label  # a mistyped quarter is refused before anything else
    formats = _formats(format)
    given = dict(_cover_pairs(cover_values or []))
    given |= {k: v for k, v in {"meeting": meeting, "date": date, "sponsor": sponsor,
                                "author": author, "decision_required": decision}.items() if v}
    cover = normalise_cover(given)
    writable_folder(out)
    if post:
        _compile_and_post(target, out=out, formats=formats, closure=closure, cover=cover,
                          framework=framework, as_json=as_json)
        return
    from bot.reports.files import write_report

    formats, no_pdf = _without_pdf(formats)
    if not formats:
        raise UserError(no_pdf or "no format to write")
    with _offline(read_only=True) as ctx, console.status(f"Compiling {target}…") as status:
        files = write_report(ctx, target, out, closure=closure, formats=formats,
                             cover_overrides=cover, progress=status.update,
                             framework=framework)
    _print_report(files.view, {**files.paths, "chart": files.chart,
                               **({"baf": files.heatmap} if files.heatmap else {})},
                  as_json=as_json)
    _stop_if(no_pdf)


def _cover_pairs(values: list[str]) -> Iterator[tuple[str, str]]:
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise UserError(f"--cover takes KEY=VALUE (e.g. --cover 'equality=None'), "
                            f"not {value!r}")
        yield key.strip(), text.strip()


def _compile_and_post(period: str, *, out: Path, formats: tuple[str, ...], closure: bool,
                      cover: dict[str, object], framework: str | None, as_json: bool) -> None:
    from bot.reports.publish import publish_report

    with _slack_context() as ctx, console.status("Compiling and posting…") as status:
        outcome = publish_report(ctx, period, actor=_cli_actor(), closure=closure,
                                 cover_overrides=cover, out_dir=out, formats=formats,
                                 progress=status.update, framework=framework)
    if as_json:
        print_json({"outcome": str(outcome)})
    else:
        print_text(str(outcome))


@app.command()
def export(
    period: PeriodArg,
    format: Annotated[str, typer.Option("--format", metavar="json|csv",
                                               help="json or csv")] = "json",
    framework: FrameworkOption = None,
    risks: Annotated[bool, typer.Option(
        "--risks", help="The BAF risk returns instead of the deliverables.")] = False,
) -> None:
    """Every deliverable of the period with its latest update (or, with --risks, every BAF
    risk with its return), to stdout."""
    from bot.reports.export import export_period, write_csv, write_json
    from bot.reports.risk_list import export_returns, write_returns_csv

    writers = {"json": write_json, "csv": write_returns_csv if risks else write_csv}
    if format not in writers:
        raise UserError(f"unknown export format '{format}'; choose json or csv")
    target = _period(period)
    with _offline(read_only=True) as ctx:
        rows = (export_returns if risks else export_period)(ctx.engine, target,
                                                            framework=framework)
    writers[format](rows, sys.stdout)


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="HOST",
                                            help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(
        metavar="PORT",
        help="HTTP port: POST /slack/events, GET /healthz and the web form at /form/… (when "
             "RAGTIME_PUBLIC_URL and RAGTIME_SECRET_KEY are set); with --socket, no "
             "/slack/events.")]
    = 3000,
    socket: Annotated[bool, typer.Option("--socket", help="Socket Mode (SLACK_APP_TOKEN).")]
    = False,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler",
                                               help="No scheduled jobs in the worker.")]
    = False,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker", help="Acknowledge only; `ragtime worker` runs elsewhere.")] = False,
) -> None:
    """Run the bot: acknowledge Slack over HTTP (or Socket Mode), serve the web form for SROs
    on email (when configured), and start the worker (which runs the round calendar unless
    --no-scheduler)."""
    import ragtime.worker  # noqa: F401 (imported before the fork, for the worker to share)
    from ragtime.app import run_server
    from ragtime.supervision import Supervisor
    from ragtime.wiring import database
    from ragtime.worker_fork import fork_worker

    settings = _settings()
    settings.require_channels(socket=socket)
    if settings.form_enabled:
        settings.require_form()
    if settings.email_enabled:
        settings.require_email()  # before the database is made or migrated
    if no_worker:
        run_server(settings, host=host, port=port, socket=socket)
        return
    # The worker forked now, before any thread and before the database is opened: it shares
    # the server's imported modules. It starts once the server alone has migrated.
    first = fork_worker(partial(_run_worker, settings, scheduler=not no_scheduler))
    args = ["--no-scheduler"] if no_scheduler else []
    try:
        database(settings).dispose()
        first.release()
        run_server(settings, host=host, port=port, socket=socket,
                   start_worker=lambda: Supervisor(args, first=first).start())
    finally:  # the server stopped before its supervisor took the worker over
        if first.poll() is None:
            first.send_signal(signal.SIGTERM)
            first.wait(15)


@app.command()
def worker(
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler",
                                               help="No scheduled jobs in this worker.")]
    = False,
) -> None:
    """Do the work `ragtime serve` acknowledged and send the outbox (started by `serve`;
    run more for replicas)."""
    _run_worker(_settings(), scheduler=not no_scheduler)


def _run_worker(settings: Settings, *, scheduler: bool) -> None:
    """``ragtime worker``, and the worker ``serve`` forks."""
    from ragtime.worker import run_worker

    settings.require_channels(inbound=False)
    if settings.form_enabled:
        settings.require_form()  # the links it emails are signed with the key
    if settings.email_enabled:
        settings.require_email()
    run_worker(settings, scheduler=scheduler)


@round_app.command("open")
def round_open(period: PeriodArg, framework: FrameworkOption = None) -> None:
    """Open the round and DM every SRO a prompt per deliverable (never twice)."""
    from bot.collection.flows import open_round_and_prompt

    target = _period(period)
    with _slack_context() as ctx, console.status(f"Opening {target.label} and prompting SROs…"):
        summary = open_round_and_prompt(ctx, target, opened_by=_cli_actor(),
                                        framework=framework)
    print_text(str(summary))


@round_app.command("remind")
def round_remind(
    period: PeriodArg,
    stage: Annotated[str | None, typer.Option(
        metavar="NAME",
        help="Reminder name; one per stage per SRO (default: manual-<today>).")] = None,
    framework: FrameworkOption = None,
) -> None:
    """Remind the SROs still outstanding, listing their deliverables."""
    from bot.collection.flows import remind_outstanding

    target = _period(period)
    with _slack_context() as ctx, console.status(
            f"Reminding outstanding SROs for {target.label}…"):
        summary = remind_outstanding(ctx, target, stage=stage, framework=framework)
    print_text(str(summary))


@round_app.command("status")
def round_status(period: PeriodArg, framework: FrameworkOption = None,
                 as_json: JsonFlag = False) -> None:
    """Who is outstanding, by theme (no Slack needed)."""
    from bot.collection.flows import round_status_report

    target = _period(period)
    with _offline(read_only=True) as ctx:
        report = round_status_report(ctx, target, framework=framework)
    if as_json:
        print_json(report.as_dict())
    else:
        print_text(report.text())


class _LinksGroup(TyperGroup):
    """``round links PERIOD`` lists the round's links; ``round links revoke …`` and any other
    subcommand run as named (an argument naming no subcommand is the period to list)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["list", *args]
        return super().parse_args(ctx, args)


links_app = typer.Typer(cls=_LinksGroup, no_args_is_help=True,
                        help="Personal web form links (for SROs not on Slack): "
                             "round links PERIOD [--show] lists them; round links revoke PERSON.")
round_app.add_typer(links_app, name="links")


@links_app.command("list")
def round_links(
    period: PeriodArg,
    show: Annotated[bool, typer.Option("--show", help="Print each email SRO's personal link "
                                       "(it lets anyone holding it answer as them).")] = False,
    framework: FrameworkOption = None,
) -> None:
    """Each SRO of the round: their channel and their link's status (or: round links PERIOD)."""
    from bot.collection.round_links import round_links as links_of

    target = _period(period)
    with _offline(read_only=True) as ctx:
        print_text(str(links_of(ctx, target, framework=framework, show=show)))


@links_app.command("revoke")
def round_links_revoke(
    person: Annotated[str, typer.Argument(help="The person's id in the framework file, or email")],
    period: Annotated[str | None, typer.Argument(
        help="Only this round's links, e.g. '2024/25 Q3' (default: every round)")] = None,
    framework: FrameworkOption = None,
) -> None:
    """Withdraw the web form links already sent to PERSON; links made afterwards work."""
    from bot.collection.links import LinkError, revoke_links

    with _offline() as ctx:
        try:
            done = revoke_links(ctx, person=person, period=_period(period) if period else None,
                                framework=framework, by=_cli_actor())
        except LinkError as error:
            raise UserError(str(error)) from None
    which = f"for {done.period.label}" if done.period else "for every round"
    console.print(f"Revoked {done.person}'s web form links {which}.", highlight=False)


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
    period: OptionalPeriodArg = None,
    framework: FrameworkOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The planned jobs of a round, with dates and times (Europe/London unless configured)."""
    from bot.calendar.framework_calendars import calendar_to_show
    from bot.framework.choice import framework_id
    from schedules import schedule_show as planned

    settings = _settings()
    target = _period(period) if period else None
    with _offline(read_only=True) as ctx:
        calendar = calendar_to_show(ctx.engine, framework_id(ctx.engine, framework,
                                                             required=True, period=target),
                                    timezone=settings.timezone)
        rows = planned(target, calendar, engine=ctx.engine)
    name = getattr(calendar, "name", "")  # said when several frameworks are loaded
    if as_json:
        print_json({"timezone": settings.timezone, **({"framework": name} if name else {}),
                    "jobs": [row.as_dict() for row in rows]})
        return
    title = f"Round calendar{' — ' + name if name else ''} ({settings.timezone})"
    print_table(title, ("Period", "Job", "When", "What", "Status"),
                [(row.period, row.job, row.run_at.strftime("%a %d %b %Y %H:%M"), row.what,
                  row.status) for row in rows])


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done on every start)."""
    from storage.migrate import current

    with _offline() as ctx:
        print_text(f"database at revision {', '.join(current(ctx.engine))}")


@app.command()
def backup(
    destination: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump).")],
) -> None:
    """Consistent online backup of the database (safe while the bot runs)."""
    from storage.backup import BackupError, backup_database

    writable_folder(destination.parent, option="backup")
    try:
        written = backup_database(_settings().database_url, destination)
    except BackupError as error:
        raise UserError(str(error)) from error
    print_text(f"backed up to {written}")


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
    print_text(f"restored {source} into {target}")


# ---------------------------------------------------------------- output helpers


def _print_report(view: Any, paths: dict[str, Path], *, as_json: bool) -> None:
    """A compiled report: its RAG counts by theme (quarterly reports) and the files written."""
    from bot.reports import ReportView

    if as_json:
        print_json({"files": {kind: str(path) for kind, path in paths.items()},
                    **(_summary_json(view) if isinstance(view, ReportView) else {})})
        return
    if isinstance(view, ReportView):
        _print_summary(view)
    print_paths(paths)


def _counts(counts: Any) -> list[str]:
    return [str(counts.green), str(counts.amber), str(counts.red), str(counts.missing),
            str(counts.total)]


def _print_summary(view: Any) -> None:
    columns = ("Theme", "Green", "Amber", "Red", "No update", "Total")
    print_table(f"{view.framework_name} — {view.period_label}", columns,
                [[theme.name, *_counts(theme.rag_counts)] for theme in view.themes],
                right=columns[1:], total=["All themes", *_counts(view.rag_counts)])


def _summary_json(view: Any) -> dict[str, Any]:
    def counts(c: Any) -> dict[str, int]:
        return {"green": c.green, "amber": c.amber, "red": c.red, "no_update": c.missing,
                "total": c.total}

    return {"framework": view.framework_name, "period": view.period_label,
            "themes": [{"name": theme.name, **counts(theme.rag_counts)}
                       for theme in view.themes],
            "all_themes": counts(view.rag_counts)}


def _stop_if(problem: str | None) -> None:
    """After writing what could be written: a format that could not be is an error."""
    if problem:
        fail(problem)
        raise typer.Exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
