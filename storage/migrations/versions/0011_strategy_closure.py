"""strategy closure: framework state, deliverable outcomes, carried-forward deliverables

``framework_closure`` marks a framework closing (its final year) or closed; a framework without a
row is active. ``deliverable_outcome`` holds each deliverable's outcome at closure, versioned
(achieved, carried, merged, stopped, with its target or reason). ``deliverable_carry`` links a
deliverable of a new framework to the one it carries on (bot.framework.carry).

Revision ID: 0011_strategy_closure
Revises: 0008_link_revocation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0011_strategy_closure"
down_revision = "0013_storage_probe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "framework_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum("active", "closing", "closed", name="frameworkstate"),
                  nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("framework_id"),
    )
    op.create_table(
        "deliverable_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Enum("achieved", "carried", "merged", "stopped",
                                     name="outcomekind"), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["deliverable_id"], ["deliverable.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["deliverable.id"]),
        sa.ForeignKeyConstraint(["set_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deliverable_id", "version"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("deliverable_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliverable_outcome_deliverable_id"),
                              ["deliverable_id"], unique=False)
    op.create_table(
        "deliverable_carry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.Column("carried_from_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["deliverable_id"], ["deliverable.id"]),
        sa.ForeignKeyConstraint(["carried_from_id"], ["deliverable.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deliverable_id"),
    )
    with op.batch_alter_table("deliverable_carry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliverable_carry_carried_from_id"),
                              ["carried_from_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliverable_carry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliverable_carry_carried_from_id"))
    op.drop_table("deliverable_carry")
    with op.batch_alter_table("deliverable_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliverable_outcome_deliverable_id"))
    op.drop_table("deliverable_outcome")
    op.drop_table("framework_closure")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS outcomekind")
        op.execute("DROP TYPE IF EXISTS frameworkstate")
