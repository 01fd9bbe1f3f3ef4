"""``ragtime risks`` and ``ragtime export --risks``: every BAF risk of a period, and every risk
return, as plain rows. Built from the paper's BAF view (``bot.reports.baf``), so the list, the
export and the board paper never disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.collection.updates import latest_updates
from bot.framework.choice import choose_framework
from bot.ports.baf_view import BafRow, BafView, ChainLink
from bot.reports.baf import build_baf
from bot.reports.spreadsheet import write_csv_rows
from storage.db import session_scope
from storage.models import Deliverable, Person

# The direction as ``ragtime risks --json`` says it (the paper's "static" is "same").
JSON_DIRECTIONS = {"up": "up", "down": "down", "static": "same"}
RETURN_FIELDS = ("period", "number", "title", "theme", "owners", "likelihood", "consequence",
                 "score", "target", "band", "appetite", "direction", "rationale", "controls",
                 "control_gaps", "assurances", "assurance_gaps", "actions", "version",
                 "submitted_by", "submitted_at")


def baf_of(session: Session, period: Period, framework: str | None) -> BafView:
    """The framework's BAF view for ``period``, with the assurance chain (each deliverable's
    latest RAG and narrative this quarter)."""
    framework_id = choose_framework(session, framework).id or 0
    deliverables = session.exec(select(Deliverable).where(
        Deliverable.framework_id == framework_id)).all()
    updates = latest_updates(session, period, deliverable_ids=[d.id or 0 for d in deliverables])
    links = {}
    for deliverable in deliverables:
        code = deliverable.code or deliverable.ref
        update = updates.get(deliverable.id or 0)
        links[code.upper()] = ChainLink(code, deliverable.title,
                                        update.rag.value if update else None,
                                        update.narrative if update else "")
    return build_baf(session, framework_id, period, links)


def list_risks(engine: Engine, period: Period, *, framework: str | None = None
               ) -> list[dict[str, Any]]:
    """``ragtime risks --json``: one object per risk, in paper order."""
    with session_scope(engine) as session:
        view = baf_of(session, period, framework)
    return [{
        "number": row.number, "title": row.title, "theme": row.theme,
        "owners": list(row.owners), "likelihood": row.likelihood,
        "consequence": row.consequence, "score": row.score, "target": row.target,
        "band": row.band, "direction": JSON_DIRECTIONS.get(row.direction or ""),
        "submitted_at": _iso(row.submitted_at), "carried_from": row.carried_from or None,
    } for row in view.rows]


def risks_table(engine: Engine, period: Period, *, framework: str | None = None
                ) -> list[list[str]]:
    """``ragtime risks``: the rows of the terminal's table."""
    with session_scope(engine) as session:
        view = baf_of(session, period, framework)
    return [[row.number, _short(row.title), row.owner_text, _number(row.score, row.as_of),
             _number(row.target), (row.band or "—").capitalize(),
             row.direction or "—"] for row in view.rows]


def export_returns(engine: Engine, period: Period, *, framework: str | None = None
                   ) -> list[dict[str, Any]]:
    """``ragtime export PERIOD --risks``: each risk with this quarter's return (empty fields
    where there is none): assurances and actions as lists of objects."""
    with session_scope(engine) as session:
        view = baf_of(session, period, framework)
        ids = [row.submitted_by_id for row in view.rows if row.submitted_by_id]
        names = {person.id: person.name for person in session.exec(
            select(Person).where(col(Person.id).in_(ids))).all()}
    return [_return(view, row, names) for row in view.rows]


def write_returns_csv(rows: list[dict[str, Any]], stream: TextIO) -> None:
    """CSV: owners joined with "; ", each assurance as ``line, kind: text`` and each action as
    ``text (owner) by date [deliverable]`` on its own line of the cell."""
    def cell(name: str, value: Any) -> Any:
        if name == "owners":
            return "; ".join(value)
        if name == "assurances":
            return "\n".join(f"{a['line']}, {a['kind']}: {a['text']}" for a in value)
        if name == "actions":
            return "\n".join(
                a["text"] + (f" ({a['owner']})" if a["owner"] else "")
                + (f" by {a['due']}" if a["due"] else "")
                + (f" [{a['deliverable']}]" if a["deliverable"] else "") for a in value)
        return value
    write_csv_rows(stream, RETURN_FIELDS,
                   ([cell(name, row.get(name)) for name in RETURN_FIELDS] for row in rows))


def _return(view: BafView, row: BafRow, names: dict[int | None, str]) -> dict[str, Any]:
    return {
        "period": view.period_label, "number": row.number, "title": row.title,
        "theme": row.theme, "owners": list(row.owners), "likelihood": row.likelihood,
        "consequence": row.consequence, "score": row.score, "target": row.target,
        "band": row.band, "appetite": row.appetite,
        "direction": JSON_DIRECTIONS.get(row.direction or ""),
        "rationale": row.rationale or None, "controls": row.controls or None,
        "control_gaps": row.control_gaps or None,
        "assurances": [a.plain() for a in row.assurances],
        "assurance_gaps": row.assurance_gaps or None,
        "actions": [{"text": a.text, "owner": a.owner,
                     "due": a.due.isoformat() if a.due else None,
                     "deliverable": a.deliverable.code if a.deliverable else a.ref}
                    for a in row.actions],
        "version": row.version, "submitted_by": names.get(row.submitted_by_id),
        "submitted_at": _iso(row.submitted_at),
    }


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _number(value: int | None, as_of: str | None = None) -> str:
    if value is None:
        return "—"
    return f"{value} (as at {as_of})" if as_of else str(value)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
