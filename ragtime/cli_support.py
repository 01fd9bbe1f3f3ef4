"""What every ``ragtime`` command shares: its period argument, flags, output and errors.

- **Periods**: ``PeriodArg`` / ``OptionalPeriodArg`` take a period as one word or two
  (``2024/25 Q2`` unquoted, ``"2024/25 Q2"``, ``2024-25-Q2``); ``period_text`` and ``period``
  read them.
- **Output**: ``print_table`` draws a table on a terminal and prints full, aligned rows when
  stdout is a pipe or a file (no wrapping, nothing cut short); ``print_text`` likewise for
  lines; ``print_json`` is the ``--json`` output (``JsonFlag``), whose shapes the README lists.
  User text is never read as Rich markup.
- **Errors**: ``run`` turns every error meant for the operator (``UserError``, a domain error, a
  setting, a file that cannot be written) into one ``error: …`` line on stderr and exit status
  2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

try:  # typer 0.20+ parses with its own copy of click
    from typer._click import exceptions as parsing
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as parsing

from bot.calendar.periods import Period, PeriodError
from bot.settings import SettingsError

USER_ERROR_EXIT = 2

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

PeriodArg = Annotated[list[str], typer.Argument(
    metavar="PERIOD", show_default=False,
    help="A quarter such as 2024/25 Q2 (quotes optional), 2024-25-Q2 or Q2 2024/25.")]
OptionalPeriodArg = Annotated[list[str] | None, typer.Argument(
    metavar="[PERIOD]", show_default=False,
    help="A quarter such as 2024/25 Q2 (quotes optional); default: the current rounds.")]
JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print JSON for scripts (the shape is in the README, 'Command line').")]


class UserError(Exception):
    """An error whose message is for the person at the terminal (no traceback)."""


# ---------------------------------------------------------------- periods


def period_text(words: str | Sequence[str]) -> str:
    """The period as one string, however many words the shell split it into."""
    parts = [words] if isinstance(words, str) else list(words)
    return " ".join(" ".join(parts).split())


def period(words: str | Sequence[str]) -> Period:
    return Period.parse(period_text(words))


# ---------------------------------------------------------------- output


def print_text(text: str) -> None:
    """Plain lines, never wrapped and never read as markup."""
    if console.is_terminal:
        console.print(Text(text), soft_wrap=True)
    else:
        sys.stdout.write(text + "\n")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: Sequence[str] = (), total: Sequence[str] | None = None) -> None:
    """A table: drawn on a terminal; piped, a title line and full rows aligned with spaces.

    ``right`` names right-aligned columns; ``total`` is a last row set apart."""
    if console.is_terminal:
        table = Table(title=Text(title), title_justify="left")
        for column in columns:
            table.add_column(column, justify="right" if column in right else "left")
        for index, row in enumerate(rows, 1):
            table.add_row(*(Text(cell) for cell in row),
                          end_section=total is not None and index == len(rows))
        if total is not None:
            table.add_row(*(Text(cell, style="bold") for cell in total))
        console.print(table)
        return
    every = [list(columns), *map(list, rows), *([list(total)] if total is not None else [])]
    widths = [max(len(row[c]) for row in every) for c in range(len(columns))]
    lines = [title]
    for row in every:
        cells = [cell.rjust(width) if column in right else cell.ljust(width)
                 for cell, width, column in zip(row, widths, columns, strict=True)]
        lines.append("  ".join(cells).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")


def print_paths(paths: dict[str, Path]) -> None:
    for kind, path in paths.items():
        print_text(f"  {kind:<5} {path}")


def fail(message: str) -> None:
    """Say what went wrong in one line on stderr (``error: …``)."""
    line = Text("error: ", style="bold red")
    line.append(message)
    errors.print(line, soft_wrap=True)


# ---------------------------------------------------------------- checks and errors


def writable_folder(path: Path, *, option: str = "--out") -> Path:
    """``path`` as a folder files can be written to, checked before anything is written. It
    need not exist yet: the folders it needs are made once to be sure they can be, and removed
    again (the command makes them when it writes)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    existing = path.parents[len(missing) - 1] if missing else path
    if not existing.is_dir():
        raise UserError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: cannot write in {existing} (permission denied)")
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except OSError as error:
        raise UserError(f"{option} {path}: cannot create {folder} "
                        f"({error.strerror or error})") from None
    finally:
        for folder in reversed(made):
            folder.rmdir()
    return path


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


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    return str(error)


def run(app: typer.Typer) -> None:
    """Run the command line; an operator's error, a mistyped command line included, ends it
    with one line and exit status 2."""
    command = typer.main.get_command(app)
    try:
        outcome = command.main(standalone_mode=False)
    except _NO_ARGS as error:  # `ragtime round`: its help
        error.show()
        sys.exit(USER_ERROR_EXIT)
    except parsing.ClickException as error:  # a missing argument, an unknown option, …
        fail(usage_problem(error))
        sys.exit(USER_ERROR_EXIT)
    except typer.Abort:
        fail("interrupted")
        sys.exit(1)
    except Exception as error:
        if not isinstance(error, (*_user_errors(), OSError)):
            raise
        fail(_message(error))
        sys.exit(USER_ERROR_EXIT)
    sys.exit(outcome if isinstance(outcome, int) else 0)  # typer.Exit(n) returns n here


_NO_ARGS: type[Exception] = getattr(parsing, "NoArgsIsHelpError", type("_Never", (Exception,), {}))


def usage_problem(error: parsing.ClickException) -> str:
    """Click's complaint about the command line, with where to read how it goes."""
    message = " ".join(error.format_message().split()).rstrip(".")
    context = getattr(error, "ctx", None)
    where = context.command_path if context is not None else "ragtime"
    return f"{message} (see: {where} --help)"
