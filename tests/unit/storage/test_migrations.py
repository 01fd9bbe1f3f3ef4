"""Migration 0003 carries a compiled report's posted message, cover values and uploaded files
over from its audit events into the new ``compiled_report`` columns (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.migrate import current, upgrade
from storage.models import CompiledReport

POSTED = {"text": "Draft board report for 2024/25 Q2", "blocks": [{"type": "divider"}]}
REPOSTED = {"text": "the same, posted again", "blocks": []}
COMPILED_AT = datetime(2024, 10, 20, 9, 30, tzinfo=UTC)
UPLOADED_AT = datetime(2024, 10, 20, 9, 31, tzinfo=UTC)

# The tables as they are at revision 0002 (only the columns written here).
framework = sa.table("framework", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                     sa.column("organisation", sa.String()), sa.column("rules", sa.JSON()),
                     sa.column("cover", sa.JSON()), sa.column("created_at", UTCDateTime()))
report = sa.table("compiled_report", sa.column("id", sa.Integer()),
                  sa.column("framework_id", sa.Integer()), sa.column("kind", sa.String()),
                  sa.column("fy", sa.Integer()), sa.column("content_hash", sa.String()),
                  sa.column("compiled_at", UTCDateTime()), sa.column("compiled_by", sa.String()),
                  sa.column("status", sa.Enum("draft", "changes_requested", "approved",
                                              name="reportstatus")),
                  sa.column("channel", sa.String()),
                  sa.column("ts", sa.String()))
audit = sa.table("audit_event", sa.column("at", UTCDateTime()), sa.column("actor", sa.String()),
                 sa.column("action", sa.String()), sa.column("subject", sa.String()),
                 sa.column("detail", sa.JSON()))



def event(action: str, subject: str, detail: dict, at: datetime = COMPILED_AT) -> dict:
    return {"at": at, "actor": "ragtime", "action": action, "subject": subject,
            "detail": detail}


def test_0003_carries_report_values_over_from_the_audit_events(engine_at_0002: Engine):
    engine = engine_at_0002
    with engine.begin() as connection:
        connection.execute(framework.insert().values(
            id=1, name="SUTG", organisation="", rules={}, cover={}, created_at=COMPILED_AT))
        connection.execute(report.insert(), [
            {"id": n, "framework_id": 1, "kind": "closure", "fy": 2024, "content_hash": "abc",
             "compiled_at": COMPILED_AT, "compiled_by": "U0LEAD", "status": "draft",
             "channel": "C0GOVERN", "ts": f"1.00000{n}"} for n in (1, 2)])
        connection.execute(audit.insert(), [
            event("report.compiled", "report:1", {"target": "2024/25 closure",
                                                  "content_hash": "abc",
                                                  "cover": {"meeting": "Trust Board"}}),
            event("report.posted", "report:1", {"channel": "C0GOVERN", "ts": "1.000001",
                                                "message": POSTED}),
            event("report.posted", "report:1", {"channel": "C0GOVERN", "ts": "1.000001",
                                                "message": REPOSTED}),
            event("report.files_uploaded", "report:1", {"files": ["sutg.docx", "sutg.pdf"]},
                  UPLOADED_AT),
            # Report 2: compiled without cover values, posted, its files never uploaded.
            event("report.compiled", "report:2", {"target": "2024/25 closure",
                                                  "content_hash": "abc", "cover": {}}),
            event("report.posted", "report:2", {"channel": "C0GOVERN", "ts": "1.000002",
                                                "message": POSTED}),
            event("report.unchanged", "report:2", {"content_hash": "abc"}),
        ])

    upgrade(engine, "0003_report_record")

    assert current(engine) == ("0003_report_record",)
    with Session(engine) as session:
        first, second = session.get(CompiledReport, 1), session.get(CompiledReport, 2)
        assert first is not None and second is not None
        assert first.message == REPOSTED  # the latest post wins
        assert first.cover == {"meeting": "Trust Board"}
        assert first.files == ["sutg.docx", "sutg.pdf"]
        assert first.files_uploaded_at == UPLOADED_AT
        assert second.message == POSTED
        assert (second.cover, second.files, second.files_uploaded_at) == (None, None, None)
        assert (second.channel, second.ts, second.status) == ("C0GOVERN", "1.000002", "draft")


theme = sa.table("theme", sa.column("id", sa.Integer()), sa.column("framework_id", sa.Integer()),
                 sa.column("name", sa.String()), sa.column("position", sa.Integer()),
                 sa.column("ambition", sa.Text()), sa.column("objectives", sa.JSON()))
deliverable = sa.table(
    "deliverable", sa.column("id", sa.Integer()), sa.column("framework_id", sa.Integer()),
    sa.column("theme_id", sa.Integer()), sa.column("ref", sa.String()),
    sa.column("area", sa.String()), sa.column("title", sa.Text()),
    sa.column("number", sa.String()), sa.column("position", sa.Integer()),
    sa.column("active", sa.Boolean()))


def test_0004_gives_existing_deliverables_unique_references(engine_at_0002: Engine):
    engine = engine_at_0002
    upgrade(engine, "0003_report_record")
    with engine.begin() as conn:
        conn.execute(framework.insert().values(id=1, name="SUTG", organisation="", rules={},
                                               cover={}, created_at=COMPILED_AT))
        conn.execute(theme.insert(), [
            {"id": 1, "framework_id": 1, "name": "Great Care", "position": 1, "ambition": "",
             "objectives": []},
            {"id": 2, "framework_id": 1, "name": "Great Outcomes", "position": 0,
             "ambition": "", "objectives": []}])
        conn.execute(deliverable.insert(), [
            {"id": n, "framework_id": 1, "theme_id": theme_id, "ref": f"d{n}", "area": area,
             "title": f"t{n}", "number": number, "position": n, "active": True}
            for n, theme_id, area, number in [(1, 2, "Access", "1"), (2, 2, "Access", "2"),
                                              (3, 2, "Research", "1"), (4, 1, "Safety", "1")]])
    upgrade(engine, "0004_deliverable_code")
    with engine.connect() as conn:
        codes = dict(conn.execute(sa.text("SELECT ref, code FROM deliverable")).all())
    assert codes == {"d1": "GO-1", "d2": "GO-2", "d3": "GO-3", "d4": "GC-1"}
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE deliverable SET code = 'GO-1' WHERE ref = 'd2'"))
