"""Small lookups every layer needs. Keyword-only arguments, plain values back."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel, select

from storage.models import AuditEvent, Framework, PeriodRecord

Row = TypeVar("Row", bound=SQLModel)


def ensure_period(
    *, session: Session, fy: int, quarter: int, label: str, start: date, end: date
) -> PeriodRecord:
    """The stored period for (fy, quarter), created on first use."""
    record = session.exec(
        select(PeriodRecord).where(PeriodRecord.fy == fy, PeriodRecord.quarter == quarter)
    ).first()
    if record is None:
        record = PeriodRecord(fy=fy, quarter=quarter, label=label, start=start, end=end)
        session.add(record)
        session.flush()
    return record


_PERIODS = "ragtime.periods_found"  # session.info: the periods this unit of work has found


def find_period(*, session: Session, fy: int, quarter: int) -> PeriodRecord | None:
    """The stored period for (fy, quarter), or None. Asked once per unit of work: a period row
    is never deleted, and one unit often asks for the same one again (a submission's follow-up
    reads its Slack prompts and its Teams cards, each by period)."""
    found: dict[tuple[int, int], PeriodRecord] = session.info.setdefault(_PERIODS, {})
    record = found.get((fy, quarter))
    if record is None:
        record = session.exec(
            select(PeriodRecord).where(PeriodRecord.fy == fy, PeriodRecord.quarter == quarter)
        ).first()
        if record is not None:
            found[(fy, quarter)] = record
    return record


def the_framework(*, session: Session, name: str | None = None) -> Framework | None:
    """The framework by name, or the only/first one when no name is given."""
    query = select(Framework).order_by(Framework.id)
    if name is not None:
        query = query.where(Framework.name == name)
    return session.exec(query).first()


def audit(
    *, session: Session, actor: str, action: str, subject: str = "", **detail: object
) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, subject=subject, detail=dict(detail))
    session.add(event)
    return event


def insert_new(where: Session | Connection, model: type[SQLModel], *, unique: str | None,
               values: dict[str, Any]) -> int | None:
    """Insert one ``model`` row unless a row with the same value in its ``unique`` column is
    there already (``None``: the same values in any of its unique columns): the new row's id,
    or None. One statement (``INSERT … ON CONFLICT DO NOTHING RETURNING id``) with no read
    before it and no savepoint, so a request storing its work costs the database one round
    trip; a concurrent insert of the same key is not an error."""
    statement = _insert_new_statement(_dialect(where), model.__table__, unique, "id")  # type: ignore[attr-defined]
    return where.execute(statement, values).scalar()


def insert_new_rows(where: Session | Connection, model: type[SQLModel], *, unique: str,
                    rows: Sequence[dict[str, Any]]) -> list[bool]:
    """``insert_new`` for several rows in one statement: whether each was new (a value of
    ``unique`` repeated among ``rows`` is new the first time only). SQLAlchemy sends the rows
    as one ``INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING RETURNING`` ("insertmanyvalues"),
    one round trip for all of them."""
    statement = _insert_new_statement(_dialect(where), model.__table__, unique, unique)  # type: ignore[attr-defined]
    stored = set(where.execute(statement, list(rows)).scalars())
    new = []
    for row in rows:
        new.append(row[unique] in stored)
        stored.discard(row[unique])
    return new


def _dialect(where: Session | Connection) -> str:
    return (where.dialect if isinstance(where, Connection) else where.get_bind().dialect).name


@functools.cache
def _insert_new_statement(dialect: str, table: Table, unique: str | None, returning: str
                          ) -> Insert:
    """Built once: its values are the execution's parameters (building a statement around
    them costs more than the insert itself)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(table)
            .on_conflict_do_nothing(index_elements=[table.c[unique]] if unique else None)
            .returning(table.c[returning]))


def add_new(session: Session, model: type[Row], *, unique: str | None,
            values: dict[str, Any]) -> Row | None:
    """``insert_new`` in an ORM unit of work: the new row as stored, in ``session`` without
    being read back (``values`` must name every column with a database-side default), or None
    when the row was there already."""
    new_id = insert_new(session, model, unique=unique, values=values)
    if new_id is None:
        return None
    row = model(id=new_id, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row
