"""compiled report: the posted message, cover values and uploaded files as columns

Until now a report's posted summary (text and blocks), the cover values it was compiled with
and whether its files were uploaded were read back out of audit-event JSON (``report.posted``,
``report.compiled``, ``report.files_uploaded``). They become columns of ``compiled_report``
(bot.reports.records); existing rows are carried over from those audit events, which stay as
the audit trail.

Revision ID: 0003_report_record
Revises: 0002_outbox
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0003_report_record"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None

_audit = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("detail", sa.JSON()),
)
_report = sa.table(
    "compiled_report",
    sa.column("id", sa.Integer()),
    sa.column("message", sa.JSON()),
    sa.column("cover", sa.JSON()),
    sa.column("files_uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("files", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("compiled_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("cover", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("files_uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("files", sa.JSON(), nullable=True))
    _carry_over(op.get_bind())


def _carry_over(bind: sa.engine.Connection) -> None:
    """Each report's values from its audit events (the latest event of each kind wins)."""
    values: dict[int, dict[str, object]] = {}
    events = bind.execute(
        sa.select(_audit.c.at, _audit.c.action, _audit.c.subject, _audit.c.detail)
        .where(_audit.c.action.in_(("report.posted", "report.compiled",
                                    "report.files_uploaded")),
               _audit.c.subject.like("report:%"))
        .order_by(_audit.c.id)
    )
    for at, action, subject, detail in events:
        number = subject.partition(":")[2]
        if not number.isdigit() or not isinstance(detail, dict):
            continue
        found = values.setdefault(int(number), {})
        if action == "report.posted" and isinstance(detail.get("message"), dict):
            found["message"] = detail["message"]
        elif action == "report.compiled" and detail.get("cover"):
            found["cover"] = detail["cover"]
        elif action == "report.files_uploaded":
            found["files"] = list(detail.get("files") or [])
            found["files_uploaded_at"] = at
    for report_id, columns in values.items():
        if columns:
            bind.execute(_report.update().where(_report.c.id == report_id).values(**columns))


def downgrade() -> None:
    with op.batch_alter_table("compiled_report", schema=None) as batch_op:
        batch_op.drop_column("files")
        batch_op.drop_column("files_uploaded_at")
        batch_op.drop_column("cover")
        batch_op.drop_column("message")
