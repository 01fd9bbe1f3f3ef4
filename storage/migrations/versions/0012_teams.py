"""Microsoft Teams: the conversation that reaches each person who installed Ragtime

``teams_account`` holds, per Teams user (AAD object id), the 1:1 conversation and service URL
captured from their install, and the person matched by email or UPN (bot.framework.teams).
Updates submitted on a Teams card are stored with ``source = 'teams'``. ``report_file`` keeps a
compiled report's files for the signed, expiring download links posted in Teams.

Revision ID: 0012_teams
Revises: 0008_link_revocation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0012_teams"
down_revision = "0008_link_revocation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A native enum on PostgreSQL (>= 12 allows this inside the migration's transaction);
        # SQLite stores the enum as plain VARCHAR.
        op.execute("ALTER TYPE source ADD VALUE IF NOT EXISTS 'teams'")
    op.create_table(
        "teams_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("aad_object_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("service_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("upn", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("installed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("aad_object_id"),
    )
    with op.batch_alter_table("teams_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_account_upn"), ["upn"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_account_person_id"), ["person_id"],
                              unique=False)
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["compiled_report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_file_report_id"), ["report_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_file_report_id"))
    op.drop_table("report_file")
    with op.batch_alter_table("teams_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_account_person_id"))
        batch_op.drop_index(batch_op.f("ix_teams_account_upn"))
    op.drop_table("teams_account")
