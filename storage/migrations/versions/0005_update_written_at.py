"""update.written_at: when the person wrote the update, which orders its versions

A thread reply delivered late (a retry minutes later, or after a newer reply) was numbered after
the newer one and became "the latest", so the paper showed the older text. ``written_at`` holds
when the person wrote it (the message's own time; a form's submission time) and the version that
counts is the newest written. Existing rows were written when they were submitted.

Revision ID: 0005_update_written_at
Revises: 0004_deliverable_code
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0005_update_written_at"
down_revision = "0004_deliverable_code"
branch_labels = None
depends_on = None

_update = sa.table("update", sa.column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime()),
                   sa.column("written_at", sqlmodel.sql.sqltypes.UTCDateTime()))


def upgrade() -> None:
    with op.batch_alter_table("update", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.get_bind().execute(_update.update().values(written_at=_update.c.submitted_at))
    with op.batch_alter_table("update", schema=None) as batch_op:
        batch_op.alter_column("written_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(),
                              nullable=False)
        batch_op.create_index("ix_update_written", ["period_id", "deliverable_id", "written_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("update", schema=None) as batch_op:
        batch_op.drop_index("ix_update_written")
        batch_op.drop_column("written_at")
