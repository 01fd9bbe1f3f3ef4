"""inbox_item and worker_beat: what the serving process acknowledged, for the worker

The serving process only acknowledges: an event, a slash command or a button press is written
to ``inbox_item`` before Slack gets its 200, and a worker process (``ragtime worker``) does the
work. ``worker_beat`` records each worker's last sign of life for ``/healthz`` and the alert to
governance when none is alive.

Revision ID: 0007_inbox
Revises: 0006_person_channel
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0007_inbox"
down_revision = "0006_person_channel"
branch_labels = None
depends_on = None

STATUS = sa.Enum("pending", "working", "done", "failed", name="inboxstatus")


def upgrade() -> None:
    op.create_table(
        "inbox_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_inbox_item_status", "inbox_item", ["status"])
    op.create_table(
        "worker_beat",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("beat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("worker_beat")
    op.drop_index("ix_inbox_item_status", table_name="inbox_item")
    op.drop_table("inbox_item")
    STATUS.drop(op.get_bind(), checkfirst=True)
