"""What a framework file says, as plain values, checked before anything is written.

The YAML and the spreadsheet readers both produce a ``FrameworkSpec``; ``finish`` then applies
the rules common to both (deliverable identity, duplicates) so each rule lives in one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from bot.calendar.periods import Period
from bot.framework.baf import POSSIBLE_SCORES
from bot.framework.importer.errors import Problems
from bot.framework.importer.limits import check_file_size
from bot.words import DIRECTIONS

MIN_SCORE, MAX_SCORE = 1, 25
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class PersonSpec:
    handle: str  # the id (YAML) or the email (spreadsheets) the deliverables refer to
    key: str | None  # Person.key; None when it is derived from the email on import
    name: str
    title: str
    email: str | None
    slack_id: str | None
    channel: str | None = None  # slack | email | auto; None: leave what is stored
    absence: AbsenceSpec | None = None  # away_from / away_to / cover / away_note


@dataclass(frozen=True)
class AbsenceSpec:
    """An absence a framework file records (``bot.framework.absences``): ``cover`` is the
    handle of another person of the file."""

    starts: date
    ends: date
    cover: str | None = None
    note: str = ""
    where: str = ""  # the field it was written in, for problems found on import


@dataclass(frozen=True)
class RiskSpec:
    number: str
    title: str
    score: int
    direction: str | None
    # What a BAF file may add (issue 21); None: leave what is stored, as today's files do.
    owners: tuple[str, ...] | None = None  # person handles, first is the lead owner
    details: dict[str, Any] | None = None  # RiskDetail fields the file gave, by name
    # ``Framework name/BAF NUMBER`` it carries on (bot.framework.risk_carry); where the file
    # said so, and the field's name there, for a problem found when it is linked.
    carried_from: str | None = None
    where: str = ""
    carried_field: str = "carried_from"


@dataclass
class ThemeSpec:
    name: str
    ambition: str | None = None  # None: leave what is stored (spreadsheets carry no ambition)
    objectives: list[str] | None = None
    risks: list[RiskSpec] = field(default_factory=list)


@dataclass
class DeliverableSpec:
    theme: str
    area: str
    title: str
    sros: tuple[str, ...]  # person handles, first is the lead SRO
    where: str  # "line 12" / "row 4", for problems found later
    path: str  # field path prefix: "themes[0].deliverables[2]" or "" for spreadsheets
    ref: str | None = None
    number: str | None = None
    delegates: tuple[str, ...] | None = None  # None: leave the stored delegates alone
    explicit_ref: bool = False  # the file gave ``ref``: it is also the display reference
    carried_from: str | None = None  # ``Framework name/CODE`` it carries on (bot.framework.carry)

    def field(self, name: str) -> str:
        """The name of ``name`` in the file: a YAML path, or a spreadsheet column."""
        if self.path:
            return f"{self.path}.{name}"
        return "deliverable" if name == "title" else name


@dataclass
class FrameworkSpec:
    kind: Literal["yaml", "table"]
    name: str | None = None
    organisation: str | None = None
    period: Period | None = None
    rules: dict[str, Any] | None = None
    cover: dict[str, Any] | None = None
    baf: dict[str, Any] | None = None  # scoring bands and appetite (bot.framework.baf)
    people: list[PersonSpec] = field(default_factory=list)
    themes: list[ThemeSpec] = field(default_factory=list)
    deliverables: list[DeliverableSpec] = field(default_factory=list)
    # False for a spreadsheet of BAF risks only: the stored deliverables are left alone.
    deliverables_given: bool = True


def one_line(text: str) -> str:
    """Titles and names: surrounding and repeated whitespace removed."""
    return " ".join(text.split())


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def derived_ref(theme: str, area: str, position: int) -> str:
    """The identity of a deliverable without an explicit ``ref``: theme, area, place in area."""
    parts = [slug(theme) or "theme", slug(area), str(position)]
    return "/".join(part for part in parts if part)


def check_email(value: str) -> str | None:
    """The problem with an email address, or None."""
    return None if _EMAIL.match(value) else f"'{value}' is not an email address"


def check_slack_id(value: str) -> str | None:
    if _SLACK_USER.match(value):
        return None
    return f"'{value}' is not a Slack user id (they look like U0ABC123)"


def check_score(value: object) -> tuple[int | None, str | None]:
    """A BAF risk score (whole number 1–25) or the problem with it."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        return None, f"score must be a whole number from {MIN_SCORE} to {MAX_SCORE}, not {value!r}"
    if not MIN_SCORE <= number <= MAX_SCORE:
        return None, f"score must be from {MIN_SCORE} to {MAX_SCORE}, not {number}"
    return number, None


def check_target(value: object) -> tuple[int | None, str | None]:
    """A target score: one of the 14 scores a 5×5 grid can give."""
    number, problem = check_score(value)
    if problem:
        return None, problem.replace("score must", "target must")
    if number not in POSSIBLE_SCORES:
        return None, (f"target {number} is not likelihood × consequence (1–5 each); use one "
                      f"of {', '.join(map(str, POSSIBLE_SCORES))}")
    return number, None


def check_target_date(value: object) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    try:
        found = (datetime.strptime(text, "%d/%m/%Y").date() if "/" in text
                 else date.fromisoformat(text))
    except ValueError:
        found = None
    if found is None:
        return None, f"target_date '{value}' is not a date (write it like 2025-03-31)"
    return found, None


def check_direction(value: str) -> tuple[str | None, str | None]:
    direction = value.strip().lower()
    if direction in DIRECTIONS:
        return direction, None
    return None, f"unknown direction '{value}' (use {', '.join(DIRECTIONS)})"


def finish(spec: FrameworkSpec, problems: Problems) -> None:
    """Give every deliverable its identity and report duplicates."""
    in_area: dict[tuple[str, str], int] = {}
    by_ref: dict[str, DeliverableSpec] = {}
    by_title: dict[tuple[str, str, str], DeliverableSpec] = {}
    for item in spec.deliverables:
        area_key = (item.theme.casefold(), item.area.casefold())
        in_area[area_key] = in_area.get(area_key, 0) + 1
        explicit = item.explicit_ref = item.ref is not None
        if item.ref is None:
            item.ref = derived_ref(item.theme, item.area, in_area[area_key])
        if item.number is None:
            item.number = str(in_area[area_key])
        first = by_ref.setdefault(item.ref.casefold(), item)
        if first is not item:
            if explicit:
                message = f"duplicate deliverable: ref '{item.ref}' is also used at {first.where}"
            else:  # names that differ only in punctuation, accents or script share a slug
                message = (f"'{item.theme} / {item.area}' and '{first.theme} / {first.area}' "
                           f"(at {first.where}) give the same identity '{item.ref}'; give one "
                           "of these deliverables its own `ref:`")
            problems.add(item.where, item.field("ref" if explicit else "title"), message)
            continue
        title_key = (*area_key, item.title.casefold())
        first = by_title.setdefault(title_key, item)
        if first is not item:
            problems.add(item.where, item.field("title"),
                         f"duplicate deliverable: '{item.title}' appears twice in "
                         f"{item.theme} / {item.area or '(no area)'} (also at {first.where})")


def file_text(path: Path, problems: Problems) -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed), not empty, not too large."""
    check_file_size(path, problems)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise problems.fail("", "", f"cannot read the file: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise problems.fail(
            "", "", f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8") from None
    if not text.strip():
        raise problems.fail("", "", "the file is empty")
    return text
