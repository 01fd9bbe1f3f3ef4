"""The absence a person writes to Ragtime in a message, e.g. ``away 4–15 Aug, cover Sarah
Willis``. One grammar for every channel that takes text:

- ``away 4–15 Aug`` / ``away 4 Aug - 15 Aug 2025`` / ``away 23 Dec to 3 Jan`` (a range over New
  Year ends in the next year) / ``away 4/8/2025 - 15/8/2025`` / ``away 2025-08-04 to
  2025-08-15`` / ``away 4 Aug`` (one day) / ``away until 15 Aug`` (from today);
- then, optionally, ``cover Sarah Willis`` (``covered by …``, a name, email or framework id)
  and ``note Annual leave``;
- a governance lead may write ``away for Sharon Murphy 4–15 Aug …`` for someone else;
- ``away cancel`` (or ``back``) cancels the writer's current or next absence.

A date without a year is the next one to come (within a month in the past, it is this year's).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS |= {"sept": 9}

EXAMPLE = "away 4–15 Aug, cover Sarah Willis"
_COMMAND = re.compile(r"^\s*(?:i'?m\s+|i\s+am\s+)?away\b[\s:,]*(?P<rest>.*)$",
                      re.IGNORECASE | re.DOTALL)
_CANCEL = re.compile(r"^\s*(?:away\s+cancel|cancel\s+away|back|i'?m\s+back)\s*[.!]*\s*$",
                     re.IGNORECASE)
_NOTE = re.compile(r"[,;]?\s*\bnote\b\s*[:\-–]?\s*", re.IGNORECASE)
_COVER = re.compile(r"[,;]?\s*\b(?:covered\s+by|covering|cover(?:\s+is)?)\b\s*[:\-–]?\s*",
                    re.IGNORECASE)
_FOR = re.compile(r"^for\s+(?P<who>.+?)\s*,?\s+(?=(?:from\s+|until\s+|till\s+)?\d)",
                  re.IGNORECASE)
_DASH = r"\s*(?:–|—|-|\bto\b|\buntil\b|\btill\b|\bthrough\b)\s*"
_DAY = r"(?P<{0}d>\d{{1,2}})(?:st|nd|rd|th)?"
_MON = r"(?:\s*(?P<{0}m>[a-z]{{3,9}})\.?)"
_YEAR = r"(?:\s*,?\s*(?P<{0}y>\d{{4}}))"
_WORDS = re.compile(
    r"^(?:from\s+)?" + _DAY.format("a") + _MON.format("a") + "?" + _YEAR.format("a") + "?"
    + _DASH + _DAY.format("b") + _MON.format("b") + _YEAR.format("b") + "?$", re.IGNORECASE)
_ONE_DAY = re.compile(r"^(?:on\s+)?" + _DAY.format("a") + _MON.format("a") + _YEAR.format("a")
                      + "?$", re.IGNORECASE)
_UNTIL = re.compile(r"^(?:until|till|to)\s+" + _DAY.format("b") + _MON.format("b")
                    + _YEAR.format("b") + "?$", re.IGNORECASE)
_NUMERIC = re.compile(r"^(?:from\s+)?(?P<a>\d{1,2}/\d{1,2}(?:/\d{2,4})?)" + _DASH
                      + r"(?P<b>\d{1,2}/\d{1,2}(?:/\d{2,4})?)$", re.IGNORECASE)
_ISO = re.compile(r"^(?:from\s+)?(?P<a>\d{4}-\d{2}-\d{2})\s*(?:–|—|\bto\b|\buntil\b|--?)\s*"
                  r"(?P<b>\d{4}-\d{2}-\d{2})$", re.IGNORECASE)


_EXTEND = re.compile(
    r"^\s*extend\s+(?:(?P<period>(?:q[1-4]\s+)?\d{4}\s*[/-]\s*\d{2}(?:\s*[-\s]\s*q[1-4])?)\s+)?"
    r"(?P<who>.+?)\s+(?:to|until|till)\s+(?P<day>.+?)\s*[.]?\s*$", re.IGNORECASE)
EXTEND_EXAMPLE = "extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025"


class AwayTextError(ValueError):
    """The message reads as an absence but something in it cannot be understood."""


@dataclass(frozen=True)
class AwayText:
    """What an ``away …`` message asks for; ``cancel`` for ``away cancel``."""

    starts: date | None = None
    ends: date | None = None
    cover: str | None = None
    note: str = ""
    person: str | None = None  # ``for …``: someone else (governance leads only)
    cancel: bool = False


@dataclass(frozen=True)
class ExtendText:
    """What an ``extend …`` message asks for (governance leads): ``period`` None is the round
    being collected now."""

    who: str
    until: date
    period: str | None = None


def is_extend_message(text: str) -> bool:
    return bool(re.match(r"^\s*extend\b", text or "", re.IGNORECASE))


def parse_extend(text: str, today: date) -> ExtendText:
    """``extend [PERIOD] PERSON-OR-DELIVERABLE to DATE``; ``AwayTextError`` says what is wrong."""
    found = _EXTEND.match(" ".join((text or "").split()))
    if found is None:
        raise AwayTextError(f"Write it like `{EXTEND_EXAMPLE}` (the period may be left out).")
    return ExtendText(who=found["who"].strip(" ,"), until=parse_day(found["day"], today),
                      period=found["period"])


def parse_day(text: str, today: date) -> date:
    """One date as people write it: ``24 Jan 2025``, ``24 Jan`` (the next one), ``24/1/2025``,
    ``2025-01-24``."""
    cleaned = text.strip(" .,")
    if match := re.match(r"^\d{4}-\d{2}-\d{2}$", cleaned):
        try:
            return date.fromisoformat(match.group(0))
        except ValueError:
            raise AwayTextError(f"'{cleaned}' is not a date.") from None
    if re.match(r"^\d{1,2}/\d{1,2}(?:/\d{2,4})?$", cleaned):
        day_, month, year = _numeric(cleaned)
        return _on(day_, month, year, today)
    if match := _ONE_DAY.match(cleaned):
        return _on(int(match["ad"]), _month(match["am"]), _year(match["ay"]), today)
    raise AwayTextError(f"I could not read the date '{cleaned}'; write it like 24 Jan 2025.")


def is_away_message(text: str) -> bool:
    """Whether ``text`` is an absence command (``away …``, ``back``) rather than anything else."""
    return bool(_COMMAND.match(text or "") or _CANCEL.match(text or ""))


def parse_away(text: str, today: date) -> AwayText:
    """``text`` read as an absence; ``AwayTextError`` says what could not be understood."""
    if _CANCEL.match(text):
        return AwayText(cancel=True)
    found = _COMMAND.match(text)
    if found is None:
        raise AwayTextError(f"Start with `away`, e.g. `{EXAMPLE}`.")
    rest = " ".join(found.group("rest").split()).strip(" .")
    if not rest:
        raise AwayTextError(f"Say when, e.g. `{EXAMPLE}`.")
    rest, note = _cut(rest, _NOTE)
    rest, cover = _cut(rest, _COVER)
    person = None
    if (who := _FOR.match(rest)) is not None:
        person, rest = who.group("who").strip(), rest[who.end():]
    starts, ends = _dates(rest.strip(" ,;."), today)
    if ends < starts:
        raise AwayTextError(f"The absence ends before it starts; e.g. `{EXAMPLE}`.")
    if (ends - starts).days > 366:
        raise AwayTextError("That is more than a year; record long absences with a governance "
                            "lead.")
    return AwayText(starts=starts, ends=ends, cover=cover or None, note=note, person=person)


def _cut(text: str, marker: re.Pattern[str]) -> tuple[str, str]:
    parts = marker.split(text, maxsplit=1)
    if len(parts) == 1:
        return text, ""
    return parts[0].strip(" ,;"), parts[1].strip(" ,;.")


def _dates(text: str, today: date) -> tuple[date, date]:
    if match := _ISO.match(text):
        try:
            return date.fromisoformat(match["a"]), date.fromisoformat(match["b"])
        except ValueError:
            raise AwayTextError(f"'{text}' has a date that does not exist.") from None
    if match := _NUMERIC.match(text):
        return _span(_numeric(match["a"]), _numeric(match["b"]), today)
    if match := _WORDS.match(text):
        second = (int(match["bd"]), _month(match["bm"]), _year(match["by"]))
        first = (int(match["ad"]), _month(match["am"]) if match["am"] else second[1],
                 _year(match["ay"]))
        return _span(first, second, today)
    if match := _ONE_DAY.match(text):
        day = _on(int(match["ad"]), _month(match["am"]), _year(match["ay"]), today)
        return day, day
    if match := _UNTIL.match(text):
        last = _on(int(match["bd"]), _month(match["bm"]), _year(match["by"]), today)
        return today, last
    raise AwayTextError(f"I could not read the dates '{text}'; write them like `{EXAMPLE}` or "
                        "`away 23/12/2024 - 3/1/2025`.")


Parts = tuple[int, int, int | None]  # day, month, year (None: not written)


def _span(first: Parts, second: Parts, today: date) -> tuple[date, date]:
    """The dates of a range; a year written on one side only applies to both (a range that
    crosses New Year starts the year before its end)."""
    if second[2] is None and first[2] is not None:
        second = (second[0], second[1], first[2])
    ends = _on(*second, today)
    if first[2] is not None:
        return _on(*first, today), ends
    starts = _on(first[0], first[1], ends.year, today, exact=True)
    if starts > ends:
        starts = _on(first[0], first[1], ends.year - 1, today, exact=True)
    return starts, ends


def _on(day: int, month: int, year: int | None, today: date, *, exact: bool = False) -> date:
    try:
        if year is not None or exact:
            return date(year if year is not None else today.year, month, day)
        found = date(today.year, month, day)
        # No year: the next such date, unless it passed less than a month ago.
        return found if found >= today - timedelta(days=31) else date(today.year + 1, month, day)
    except ValueError:
        raise AwayTextError(f"{day} {calendar.month_abbr[month]} is not a date.") from None


def _month(name: str | None) -> int:
    if not name or name.lower() not in _MONTHS:
        raise AwayTextError(f"'{name or ''}' is not a month; write e.g. `{EXAMPLE}`.")
    return _MONTHS[name.lower()]


def _year(text: str | None) -> int | None:
    return int(text) if text else None


def _numeric(text: str) -> Parts:
    parts = [int(part) for part in text.split("/")]
    year = parts[2] if len(parts) == 3 else None
    if year is not None and year < 100:
        year += 2000
    if not 1 <= parts[1] <= 12:
        raise AwayTextError(f"'{text}' is not a date (day/month/year).")
    return parts[0], parts[1], year
