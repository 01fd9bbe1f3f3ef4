"""BAF risk rows of a spreadsheet: a CSV whose header names ``risk_number``, or an XLSX sheet
named ``Risks`` (or ``BAF``) beside the deliverables sheet.

Columns: ``theme, risk_number, risk_title, score`` and optionally ``direction, owner_name,
owner_title, owner_email, owner_slack_id, owner_channel, lead_committee, cause, event, impact,
appetite, target, target_date, carried_from`` (``Framework name/BAF NUMBER``: the risk of an
earlier framework it carries on, ``bot.framework.risk_carry``). Joint owners are separated by
``;`` in each ``owner_`` column, as joint SROs are. A column that is present sets its value (an
empty cell clears it); a column that is absent leaves what is stored, so today's files of
number, title and score still work.
"""

from __future__ import annotations

import re
from typing import Any

from bot.framework.baf import check_appetite
from bot.framework.importer.errors import Problems
from bot.framework.importer.spec import (
    PersonSpec,
    RiskSpec,
    check_direction,
    check_email,
    check_score,
    check_slack_id,
    check_target,
    check_target_date,
    one_line,
)
from bot.framework.people import check_channel

REQUIRED = ("theme", "risk_number", "risk_title", "score")
OPTIONAL = ("direction", "owner_name", "owner_title", "owner_email", "owner_slack_id",
            "owner_channel", "lead_committee", "cause", "event", "impact", "appetite",
            "target", "target_date", "carried_from")
ALIASES = {
    "baf_no": "risk_number", "baf_number": "risk_number", "risk_no": "risk_number",
    "risk_id": "risk_number", "number": "risk_number", "title": "risk_title",
    "risk": "risk_title", "current_score": "score", "owner": "owner_name",
    "owners": "owner_name", "owner_names": "owner_name", "owner_emails": "owner_email",
    "owner_titles": "owner_title", "committee": "lead_committee", "target_score": "target",
    "risk_appetite": "appetite",
}
OWNER_COLUMNS = ("owner_name", "owner_title", "owner_email", "owner_slack_id", "owner_channel")
JOINT = ";"
RISK_SHEETS = ("risks", "baf", "baf risks")

Row = tuple[int, list[str]]


def risk_header_name(cell: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", cell.replace("\ufeff", "").strip().lower()).strip("_")
    return ALIASES.get(name, name)


def is_risk_header(cells: list[str]) -> bool:
    names = {re.sub(r"[^a-z0-9]+", "_", cell.strip().lower()).strip("_") for cell in cells}
    return bool(names & {"risk_number", "baf_no", "baf_number", "risk_no"}) and (
        "deliverable" not in names)


def read_risk_rows(
    rows: list[Row], problems: Problems, people: dict[str, tuple[int, PersonSpec]],
    sheet: str = "",
) -> list[tuple[str, RiskSpec]]:
    """(theme name, risk) for each data row below the header (the first non-blank row);
    owners are added to ``people`` by email, as SROs are."""
    filled = [(number, cells) for number, cells in rows if any(c.strip() for c in cells)]
    if not filled:
        return []
    (header_number, header), data = filled[0], filled[1:]
    prefix = f"{sheet} " if sheet else ""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = risk_header_name(cell)
        if name in columns and name in (*REQUIRED, *OPTIONAL):
            problems.add(f"{prefix}row {header_number}", name, f"column '{name}' appears twice")
        columns.setdefault(name, index)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise problems.fail(f"{prefix}row {header_number}", ", ".join(missing),
                            f"missing column(s) {', '.join(missing)}; the BAF risk columns "
                            f"are {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})")
    found: list[tuple[str, RiskSpec]] = []
    numbers: dict[str, int] = {}
    for number, cells in data:
        values = {name: (cells[index].strip() if index < len(cells) else "")
                  for name, index in columns.items()}
        where = f"{prefix}row {number}"
        risk = _risk(where, values, people, number, problems)
        if risk is None:
            continue
        if risk.number in numbers:
            problems.add(where, "risk_number", f"BAF risk number '{risk.number}' is used twice "
                                               f"(also on row {numbers[risk.number]})")
            continue
        numbers[risk.number] = number
        found.append((one_line(values["theme"]), risk))
    return found


def _risk(where: str, values: dict[str, str], people: dict[str, tuple[int, PersonSpec]],
          row: int, problems: Problems) -> RiskSpec | None:
    before = len(problems.items)
    for name in ("theme", "risk_number", "risk_title", "score"):
        if not values[name]:
            problems.add(where, name, f"missing {name.replace('_', ' ')}")
    score, problem = check_score(values["score"]) if values["score"] else (None, None)
    if problem:
        problems.add(where, "score", problem)
    direction = None
    if values.get("direction"):
        direction, problem = check_direction(values["direction"])
        if problem:
            problems.add(where, "direction", problem)
    details: dict[str, Any] = {}
    for name in ("lead_committee", "cause", "event", "impact"):
        if name in values:
            details[name] = one_line(values[name]) if name == "lead_committee" else values[name]
    if "appetite" in values:
        details["appetite"] = None
        if values["appetite"]:
            details["appetite"], problem = check_appetite(values["appetite"])
            if problem:
                problems.add(where, "appetite", problem)
    if "target" in values:
        details["target_score"] = None
        if values["target"]:
            details["target_score"], problem = check_target(values["target"])
            if problem:
                problems.add(where, "target", problem)
    if "target_date" in values:
        details["target_date"] = None
        if values["target_date"]:
            details["target_date"], problem = check_target_date(values["target_date"][:10])
            if problem:
                problems.add(where, "target_date", problem)
    owners = _owners(where, values, people, row, problems)
    if len(problems.items) > before or score is None:
        return None
    return RiskSpec(number=one_line(values["risk_number"]), title=one_line(values["risk_title"]),
                    score=score, direction=direction, owners=owners, details=details or None,
                    carried_from=values.get("carried_from") or None, where=where)


def _owners(where: str, values: dict[str, str], people: dict[str, tuple[int, PersonSpec]],
            row: int, problems: Problems) -> tuple[str, ...] | None:
    if "owner_email" not in values and "owner_name" not in values:
        return None
    lists = {name: _split(values.get(name, "")) for name in OWNER_COLUMNS}
    names, emails = lists["owner_name"], lists["owner_email"]
    if len(names) != len(emails):
        problems.add(where, "owner_email", f"{len(names)} owner name(s) but {len(emails)} "
                                           f"email(s); separate joint owners with '{JOINT}'")
        return None
    for column in ("owner_title", "owner_slack_id", "owner_channel"):
        if lists[column] and len(lists[column]) != len(names):
            problems.add(where, column, f"{len(names)} owner name(s) but {len(lists[column])} "
                                        f"in {column}; separate joint owners with '{JOINT}'")
            return None
    handles: list[str] = []
    for index, (name, email) in enumerate(zip(names, emails, strict=True)):
        email = email.lower()
        if problem := check_email(email):
            problems.add(where, "owner_email", problem)
            continue
        slack_id = lists["owner_slack_id"][index] if lists["owner_slack_id"] else ""
        if slack_id and (problem := check_slack_id(slack_id)):
            problems.add(where, "owner_slack_id", problem)
            continue
        channel = (lists["owner_channel"][index].lower() if lists["owner_channel"] else "")
        if channel and (problem := check_channel(channel)):
            problems.add(where, "owner_channel", problem)
            continue
        person = PersonSpec(handle=email, key=None, name=name,
                            title=lists["owner_title"][index] if lists["owner_title"] else "",
                            email=email, slack_id=slack_id or None, channel=channel or None)
        first = people.get(email)
        if first is None:
            people[email] = (row, person)
        elif first[1].name != name:
            problems.add(where, "owner_name", f"{email} is '{name}' here but "
                                              f"'{first[1].name}' on row {first[0]}")
        if email not in handles:
            handles.append(email)
    return tuple(handles)


def _split(value: str) -> list[str]:
    items = [one_line(item) for item in value.split(JOINT)]
    return items if any(items) else []
