"""``ragtime framework …``: each framework's state and periods, closing one, the outcome of
each deliverable at closure (and carrying deliverables forward into the next framework).

Each command parses, makes one ``bot`` call and prints, as ``ragtime.cli`` does.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.calendar.periods import PeriodError, parse_financial_year
from bot.context import AppContext
from bot.settings import load_settings
from ragtime.cli_support import JsonFlag, UserError, print_json, print_table, print_text

framework_app = typer.Typer(
    help="Frameworks (strategies): list them, close one, record outcomes, carry forward.",
    no_args_is_help=True, rich_markup_mode=None)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The framework's name.")]
OUTCOMES = ("achieved", "carried", "merged", "stopped")


@contextmanager
def _offline(*, read_only: bool = False) -> Iterator[AppContext]:
    from ragtime.wiring import offline_context

    ctx = offline_context(load_settings(), read_only=read_only)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


@contextmanager
def _connected() -> Iterator[AppContext]:
    from ragtime.wiring import outbound_context

    ctx = outbound_context(load_settings())
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _year(text: str) -> int:
    try:
        return parse_financial_year(text)
    except PeriodError as error:
        raise UserError(str(error)) from None


@framework_app.command("list")
def framework_list(as_json: JsonFlag = False) -> None:
    """Each framework: its state (active, closing, closed), final year and periods."""
    from bot.framework.lifecycle import frameworks
    from storage.db import session_scope

    with _offline(read_only=True) as ctx, session_scope(ctx.engine) as session:
        found = frameworks(session)
    if as_json:
        print_json([life.as_dict() for life in found])
        return
    if not found:
        print_text("No framework is loaded yet; import one with `ragtime import FILE`.")
        return
    print_table("Frameworks", ("Framework", "State", "Final year", "Deliverables", "Periods"),
                [(life.name, life.state.value, life.final_year or "", str(life.deliverables),
                  _periods(life.periods)) for life in found], right=("Deliverables",))


def _periods(periods: tuple[object, ...]) -> str:
    labels = [str(p) for p in periods]
    if len(labels) > 4:
        return f"{labels[0]} … {labels[-1]} ({len(labels)})"
    return ", ".join(labels) or "none yet"


@framework_app.command("close")
def framework_close(
    name: NameArg,
    year: Annotated[str, typer.Option("--year", metavar="YEAR",
                                      help="The final financial year, e.g. 2024/25.")],
) -> None:
    """Start the closure round: the final quarter's prompts, and an outcome request to every
    SRO for each deliverable (needs Slack or email, as `round open` does)."""
    from bot.collection.closing import close_framework

    fy = _year(year)
    with _connected() as ctx:
        print_text(str(close_framework(ctx, name, fy, by=_actor())))


@framework_app.command("outcome")
def framework_outcome(
    name: NameArg,
    deliverable: Annotated[str, typer.Argument(metavar="CODE",
                                               help="The deliverable's code, e.g. GO-3.")],
    outcome: Annotated[str, typer.Argument(metavar="OUTCOME",
                                           help="achieved, carried, merged or stopped.")],
    to: Annotated[str | None, typer.Option(
        "--to", metavar="FRAMEWORK/CODE",
        help="Carried: the new framework's deliverable; merged: the one it joins "
             "(a code alone means this framework).")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", metavar="TEXT", help="Why (needed for stopped).")] = None,
) -> None:
    """Record a deliverable's outcome as a governance lead (a new version; audited)."""
    from bot.collection.outcomes import (
        OutcomeEntry,
        OutcomeError,
        OutcomeInvalid,
        set_outcome_by_reference,
    )

    with _offline() as ctx:
        try:
            saved = set_outcome_by_reference(
                ctx, framework=name, code=deliverable, operator=_actor(),
                entry=OutcomeEntry(outcome=outcome, target=to, reason=reason))
        except OutcomeInvalid as error:
            raise UserError(" ".join(error.errors.values())) from None
        except OutcomeError as error:
            raise UserError(str(error)) from None
    print_text(f"{name} {deliverable}: {saved.outcome.sentence()} "
               f"(version {saved.outcome.version}).")


@framework_app.command("outcomes")
def framework_outcomes(name: NameArg, as_json: JsonFlag = False) -> None:
    """Each deliverable of a framework and its outcome; those still without one are listed
    last."""
    from bot.collection.outcomes import outcome_rows
    from bot.framework.choice import choose_framework
    from storage.db import session_scope

    with _offline(read_only=True) as ctx, session_scope(ctx.engine) as session:
        rows = outcome_rows(session, choose_framework(session, name).id or 0)
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    print_table(f"Outcomes — {name}", ("Theme", "Deliverable", "Title", "Outcome"),
                [(row.theme, row.number, row.title,
                  row.outcome.sentence() if row.outcome else "— none yet —") for row in rows])
    missing = [row.number for row in rows if row.outcome is None]
    if missing:
        print_text(f"{len(missing)} without an outcome: {', '.join(missing)}")


@framework_app.command("carry-forward")
def framework_carry_forward(
    old: Annotated[str, typer.Option("--from", metavar="NAME",
                                     help="The framework that is closing.")],
    new: Annotated[str, typer.Option("--to", metavar="NAME",
                                     help="The framework that carries its deliverables on.")],
    mapping: Annotated[Path, typer.Option(
        "--map", metavar="FILE",
        help="CSV with the columns from,to: the old deliverable's code and the new one's; "
             "an optional kind column says 'risk' for a row of BAF risk numbers.")],
) -> None:
    """Link deliverables and BAF risks of the new framework to those they carry on from the
    old one."""
    from bot.framework.carry import carry_forward, read_map
    from bot.framework.lifecycle import LifecycleError
    from storage.db import session_scope

    with _offline() as ctx:
        try:
            rows = read_map(mapping)
            with session_scope(ctx.engine, write=True) as session:
                done = carry_forward(session, old=old, new=new, pairs=rows.deliverables,
                                     risk_pairs=rows.risks, by=_actor())
        except LifecycleError as error:
            raise UserError(str(error)) from None
    print_text(str(done))
