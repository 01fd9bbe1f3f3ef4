"""BAF risks carried forward: ``risk_carry`` links a risk of a new framework to the risk of an
earlier framework it carries on (bot.framework.risk_carry).

Revision ID: 0014_risk_carry
Revises: 0011_strategy_closure
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0014_risk_carry"
down_revision = "0011_strategy_closure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_carry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("carried_from_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"]),
        sa.ForeignKeyConstraint(["carried_from_id"], ["risk.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("risk_id"),
    )
    with op.batch_alter_table("risk_carry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_carry_carried_from_id"),
                              ["carried_from_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_carry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_carry_carried_from_id"))
    op.drop_table("risk_carry")
