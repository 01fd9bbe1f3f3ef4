"""web form links: revocations, and ``web`` as an update's source

``link_revocation`` records that a person's web form links were revoked (``ragtime round links
revoke``), for one round or all of them: links issued before ``revoked_at`` are refused
(bot.collection.links). Updates entered in the web form are stored with ``source = 'web'``.

Revision ID: 0008_link_revocation
Revises: 0007_inbox
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0008_link_revocation"
down_revision = "0007_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A native enum on PostgreSQL (>= 12 allows this inside the migration's transaction);
        # SQLite stores the enum as plain VARCHAR.
        op.execute("ALTER TYPE source ADD VALUE IF NOT EXISTS 'web'")
    op.create_table(
        "link_revocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link_revocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_revocation_person_id"), ["person_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_revocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_revocation_person_id"))
    op.drop_table("link_revocation")
    op.execute("UPDATE \"update\" SET source = 'modal' WHERE source = 'web'")
    # PostgreSQL cannot drop an enum value; the unused 'web' label stays in the type.
