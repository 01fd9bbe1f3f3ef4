"""person.channel and outbox_message.via: SROs reached by email as well as Slack

``person.channel`` is how Ragtime reaches someone (``slack``, ``email`` or ``auto``, the default
for everyone already stored); ``outbox_message.via`` names the channel that delivers a recorded
message (NULL for the rows written before: Slack).

Revision ID: 0006_person_channel
Revises: 0005_update_written_at
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0006_person_channel"
down_revision = "0005_update_written_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default="auto"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("via")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("channel")
