"""What a report is about: one quarter or a year end, read from what a lead typed.

``/compile-report`` and ``ragtime compile`` name their report in words (``2024/25 Q2``,
``2024/25 closure``, ``closure``, optionally with cover values such as
``meeting="Public Trust Board" date=7/11/2024``); this module turns those words into a
``Target``, and knows which period is meant when none is named (``default_period``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.calendar.periods import Period, PeriodError, parse_financial_year
from bot.ports.reports import Target
from bot.reports.cover import CoverError, check_cover
from bot.reports.errors import PublishError
from storage.db import session_scope
from storage.models import PeriodRecord, Round, RoundStatus

if TYPE_CHECKING:
    from bot.context import AppContext

# ``/compile-report … date=…``: the cover's "Date submitted".
_COVER_SHORTHANDS = {"date": "date_submitted"}
_CLOSURE_WORDS = frozenset({"closure", "close", "year-end", "yearend", "year", "end"})


@dataclass(frozen=True)
class CompileRequest:
    """The parsed text of ``/compile-report``."""

    target: Target
    cover_overrides: dict[str, str]
    framework: str | None = None  # ``framework="NAME"``: which framework, when several


def parse_compile_text(text: str, *, default: Period) -> CompileRequest:
    """``""`` (the default period), ``2024/25 Q2``, ``2024/25 closure`` or ``closure``, each
    optionally followed by cover values such as ``meeting="Public Trust Board" date=7/11/2024``
    and by ``framework="Step Up To Great"`` (which framework; not a cover value).
    """
    cleaned = (text or "").replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        words = shlex.split(cleaned)
    except ValueError as error:
        raise PublishError(f"I could not read `{text}`: {error} (check the quotes).") from None
    overrides: dict[str, str] = {}
    rest: list[str] = []
    for word in words:
        name, equals, value = word.partition("=")
        if equals and name.strip():
            overrides[name.strip()] = value.strip()
        else:
            rest.append(word)
    framework = None
    for name in [name for name in overrides if name.strip().lower() == "framework"]:
        framework = overrides.pop(name) or None
    return CompileRequest(parse_target(" ".join(rest), default=default),
                          normalise_cover(overrides), framework)


def parse_target(text: str, *, default: Period) -> Target:
    """A quarter (``2024/25 Q2``) or a year end (``2024/25 closure``); empty → ``default``."""
    words = (text or "").split()
    closure = False
    while words and words[-1].lower() in _CLOSURE_WORDS:  # "closure", "year end", …
        closure = True
        words.pop()
    rest = " ".join(words)
    if closure:
        if not rest:
            return Target.year_end(default.fy)
        try:
            return Target.year_end(parse_financial_year(rest))
        except PeriodError:
            try:
                return Target.year_end(Period.parse(rest).fy)
            except PeriodError:
                raise PublishError(
                    f"`{rest}` is not a financial year; write `/compile-report 2024/25 closure`."
                ) from None
    if not rest:
        return Target.quarter(default)
    try:
        return Target.quarter(Period.parse(rest))
    except PeriodError as error:
        try:
            fy = parse_financial_year(rest)
        except PeriodError:
            raise PublishError(f"{error}.") from None
        label = Period(fy, 1).fy_label
        raise PublishError(
            f"`{rest}` is a whole financial year: write `{label} closure` for the year-end "
            f"report, or a quarter such as `{label} Q2`."
        ) from None


def normalise_cover(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Cover values given on the command line or in Slack, with ``date`` meaning "Date
    submitted"; a date that is not a date (``next tuesday``, ``2026-13-01``) is refused with
    a ``PublishError`` naming the field."""
    result: dict[str, Any] = {}
    for name, value in (values or {}).items():
        key = re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")
        result[_COVER_SHORTHANDS.get(key, str(name))] = value
    try:
        return check_cover(result)
    except CoverError as error:
        message = str(error)
        raise PublishError(message[0].upper() + message[1:]) from None


def default_period(engine: Engine, today: date) -> Period:
    """The open round's period (the latest, if several), else the quarter before ``today``'s."""
    with session_scope(engine) as session:
        found = session.exec(
            select(PeriodRecord.fy, PeriodRecord.quarter)
            .join(Round, col(Round.period_id) == PeriodRecord.id)
            .where(Round.status == RoundStatus.open, col(Round.frozen).is_(False))
            .order_by(col(PeriodRecord.fy).desc(), col(PeriodRecord.quarter).desc())
            .limit(1)
        ).first()
    if found is not None:
        return Period(*found)
    return Period.containing(today).previous()


def resolve_target(ctx: AppContext, target: Target | Period | str | None, *,
                   closure: bool = False) -> Target:
    """What ``target`` names: a ``Target``, a ``Period``, text such as ``"2024/25 Q2"`` or
    ``"2024/25"`` (with ``closure``), or ``None``/"" for the default period (the open round's,
    else the previous quarter)."""
    if isinstance(target, Target):
        return target
    if isinstance(target, Period):
        return Target.year_end(target.fy) if closure else Target.quarter(target)
    default = default_period(ctx.engine, ctx.today())
    text = (target or "").strip()
    if closure:
        if not text:
            return Target.year_end(default.fy)
        try:
            return Target.year_end(parse_financial_year(text))
        except PeriodError:
            return parse_target(f"{text} closure", default=default)
    return parse_target(text, default=default)
