"""outbox claims and round freeze/close stamps

Adds the ``sending`` outbox status (a row claimed by a sender), ``outbox_message.claimed_at``
(the claim's lease, see bot.messaging.outbox) and who/when a round was frozen or closed (bot.collection.rounds).

Revision ID: 0002_outbox
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0002_outbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # A native enum on PostgreSQL (>= 12 allows this inside the migration's transaction;
        # the new value is only used after commit). SQLite stores the enum as plain VARCHAR.
        op.execute("ALTER TYPE outboxstatus ADD VALUE IF NOT EXISTS 'sending' AFTER 'pending'")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frozen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("frozen_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("frozen_by")
        batch_op.drop_column("frozen_at")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
    op.execute("UPDATE outbox_message SET status = 'pending' WHERE status = 'sending'")
    # PostgreSQL cannot drop an enum value; the unused 'sending' label stays in the type.
