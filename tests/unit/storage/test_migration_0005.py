"""Migration 0005 gives every stored update a ``written_at``: when it was submitted (SQLite and
PostgreSQL), so the version that counts is unchanged by the upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.calendar.periods import Period
from bot.collection.updates import latest_update
from storage.db import session_scope
from storage.migrate import upgrade

SUBMITTED = [datetime(2024, 10, 3, 9, 30, tzinfo=UTC), datetime(2024, 10, 4, 11, 0, tzinfo=UTC)]



def test_existing_updates_were_written_when_submitted(engine_at_0004: Engine):
    with engine_at_0004.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO framework (id, name, organisation, rules, cover, created_at) "
            "VALUES (1, 'F', '', '{}', '{}', :at)"), {"at": SUBMITTED[0]})
        conn.execute(sa.text(
            "INSERT INTO theme (id, framework_id, name, position, ambition, objectives) "
            "VALUES (1, 1, 'T', 1, '', '[]')"))
        conn.execute(sa.text(
            "INSERT INTO deliverable (id, framework_id, theme_id, ref, area, title, number, "
            "position, active, code) VALUES (1, 1, 1, 'r', 'A', 'D', '1', 1, true, 'T-1')"))
        conn.execute(sa.text(
            "INSERT INTO period (id, fy, quarter, label, start, \"end\") "
            "VALUES (1, 2024, 2, '2024/25 Q2', '2024-07-01', '2024-09-30')"))
        for version, at in enumerate(SUBMITTED, 1):
            conn.execute(sa.text(
                'INSERT INTO "update" (deliverable_id, period_id, version, rag, narrative, '
                "submitted_at, source) VALUES (1, 1, :v, 'green', :n, :at, 'modal')"),
                {"v": version, "n": f"version {version}", "at": at})

    upgrade(engine_at_0004)

    with engine_at_0004.connect() as conn:
        rows = conn.execute(sa.text(
            'SELECT written_at, submitted_at FROM "update" ORDER BY version')).all()
    assert [written for written, _ in rows] == [submitted for _, submitted in rows]
    with session_scope(engine_at_0004) as session:
        assert latest_update(session, 1, Period(2024, 2)).narrative == "version 2"
