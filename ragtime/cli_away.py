"""``ragtime away …`` and ``ragtime round extend …``: absences, their cover and deadline
extensions from the command line. Each command parses, makes one ``bot.collection.away`` call
and prints the result; ``register`` adds them to the ``ragtime`` app.

PERSON is a person's id in the framework file or their email (as for ``round links revoke``);
dates are ``2025-08-04``, ``4/8/2025`` or ``4 Aug 2025`` (UK day first).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

from bot.context import AppContext
from bot.settings import load_settings
from ragtime.cli_support import (
    JsonFlag,
    OptionalPeriodArg,
    UserError,
    print_json,
    print_table,
    print_text,
)
from ragtime.cli_support import period as _period


class _AwayGroup(TyperGroup):
    """``away PERSON --from … --to …`` records; ``away list`` and ``away cancel`` run as named
    (a first argument naming no subcommand is the person away)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["record", *args]
        return super().parse_args(ctx, args)


away_app = typer.Typer(
    cls=_AwayGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Absences and their cover: away PERSON --from DATE --to DATE [--cover PERSON] "
         "[--note TEXT]; away list [PERIOD] [--json]; away cancel PERSON [--from DATE].")

PersonArg = Annotated[str, typer.Argument(
    metavar="PERSON", help="The person's id in the framework file, or their email.")]
FrameworkOption = Annotated[str | None, typer.Option(
    "--framework", metavar="NAME",
    help="The framework's name (needed when the database holds several).")]


def register(app: typer.Typer, round_app: typer.Typer) -> None:
    """Add ``away`` to ``app`` and ``extend`` to ``round_app``."""
    app.add_typer(away_app, name="away")
    round_app.command("extend")(round_extend)


def _date(text: str, option: str) -> date:
    from bot.collection.dates import parse_date

    found = parse_date(text)
    if found is None:
        raise UserError(f"{option} {text!r} is not a date; write it as 2025-08-04 or 4 Aug 2025")
    return found


@contextmanager
def _context() -> Iterator[AppContext]:
    from bot.collection.extensions import ExtensionError
    from bot.framework.absences import AbsenceError
    from ragtime.wiring import offline_context

    ctx = offline_context(load_settings())
    try:
        yield ctx
    except (AbsenceError, ExtensionError) as error:
        raise UserError(str(error)) from None
    finally:
        ctx.engine.dispose()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@away_app.command("record", hidden=True)
def away_record(
    person: PersonArg,
    starts: Annotated[str, typer.Option("--from", metavar="DATE", help="First day away.")],
    ends: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day away.")],
    cover: Annotated[str | None, typer.Option(
        "--cover", metavar="PERSON", help="Who answers for them meanwhile (id or email).")]
    = None,
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="A note for governance.")]
    = "",
) -> None:
    """Record that PERSON is away from --from to --to (inclusive), covered by --cover."""
    from bot.collection.away import record_away

    first, last = _date(starts, "--from"), _date(ends, "--to")
    with _context() as ctx:
        done = record_away(ctx, person=person, starts=first, ends=last, cover=cover, note=note,
                           by=_actor())
    print_text(done.line())


@away_app.command("list")
def away_list(period: OptionalPeriodArg = None, framework: FrameworkOption = None,
              as_json: JsonFlag = False) -> None:
    """Absences during PERIOD's round, or every absence not yet over."""
    from bot.collection.away import list_away

    target = _period(period) if period else None
    with _context() as ctx:
        found = list_away(ctx, target, framework=framework)
    if as_json:
        print_json([absence.as_dict() for absence in found])
        return
    from bot.words import day

    title = f"Absences during the {target.label} round" if target else "Absences"
    if not found:
        print_text(f"{title}: none recorded.")
        return
    print_table(title, ["person", "from", "to", "back on", "cover", "note"], [
        [f"{a.person_name} ({a.person_key})", day(a.starts), day(a.ends), day(a.back_on),
         a.cover_name or "no cover", a.note] for a in found])


@away_app.command("cancel")
def away_cancel(
    person: PersonArg,
    starts: Annotated[str | None, typer.Option(
        "--from", metavar="DATE", help="The first day of the absence to cancel (default: the "
        "current or next one).")] = None,
) -> None:
    """Cancel PERSON's current or next absence (or the one starting on --from)."""
    from bot.collection.away import cancel_away

    first = _date(starts, "--from") if starts else None
    with _context() as ctx:
        done = cancel_away(ctx, person=person, starts=first, by=_actor())
    print_text(f"Cancelled: {done.person_name} {done.describe()}.")


def round_extend(
    words: Annotated[list[str], typer.Argument(
        metavar="PERIOD PERSON", show_default=False,
        help="The quarter (e.g. 2024/25 Q2) then the person's id or email, or a deliverable's "
             "reference such as GO-3.")],
    until: Annotated[str, typer.Option("--to", metavar="DATE", help="The new deadline.")],
    framework: FrameworkOption = None,
) -> None:
    """Give a person (all their deliverables) or one deliverable a later deadline in PERIOD's
    round; reminders, escalation and the paper follow it."""
    from bot.collection.away import extend
    from bot.words import day

    if len(words) < 2:
        raise UserError("give the period and then the person, e.g. "
                        "ragtime round extend 2024/25 Q2 smurphy --to 2024-10-25")
    target, new = _period(words[:-1]), _date(until, "--to")
    with _context() as ctx:
        done = extend(ctx, period=target, target=words[-1], until=new, by=_actor(),
                      framework=framework)
    print_text(f"{target.label}: {done.who} now has until {day(done.until)}.")
