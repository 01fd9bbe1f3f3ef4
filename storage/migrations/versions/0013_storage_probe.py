"""storage_probe: one row rewritten to learn whether the database takes writes again

After a write failed (disk full, read-only, I/O error) the serving process rewrites this row
every few seconds with 128 KiB of text (room for a big unit of work, not only a tiny one); the
first write that commits ends the incident (``/healthz`` is well again,
and governance may be told of the next one).

Revision ID: 0013_storage_probe
Revises: 0008_link_revocation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0013_storage_probe"
down_revision = "0009_risk_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_probe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("written_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("room", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("storage_probe")
