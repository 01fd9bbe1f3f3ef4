"""BAF risks: settings, details, owners and the quarterly risk return

``baf_settings`` holds a framework's scoring bands and risk appetite limits, ``risk_detail`` what
the framework file says about a risk (lead committee, cause/event/impact, appetite, target),
``risk_owner`` its owners, and ``risk_return`` each version of an owner's quarterly return.

Revision ID: 0009_risk_returns
Revises: 0008_link_revocation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0009_risk_returns"
down_revision = "0010_absences"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "baf_settings",
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("bands", sa.JSON(), nullable=False),
        sa.Column("appetite", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"]),
        sa.PrimaryKeyConstraint("framework_id"),
    )
    op.create_table(
        "risk_detail",
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("lead_committee", _TEXT(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("appetite", _TEXT(), nullable=True),
        sa.Column("target_score", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"]),
        sa.PrimaryKeyConstraint("risk_id"),
    )
    op.create_table(
        "risk_owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("risk_id", "person_id"),
    )
    with op.batch_alter_table("risk_owner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_owner_risk_id"), ["risk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_owner_person_id"), ["person_id"],
                              unique=False)
    op.create_table(
        "risk_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("consequence", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("controls", sa.Text(), nullable=False),
        sa.Column("control_gaps", sa.Text(), nullable=False),
        sa.Column("assurances", sa.JSON(), nullable=False),
        sa.Column("assurance_gaps", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("unchanged", sa.Boolean(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_slack_id", _TEXT(), nullable=True),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("source", _TEXT(), nullable=False),
        sa.Column("idempotency_key", _TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"]),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("risk_id", "period_id", "version"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("risk_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_return_risk_id"), ["risk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_return_period_id"), ["period_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("risk_return")
    op.drop_table("risk_owner")
    op.drop_table("risk_detail")
    op.drop_table("baf_settings")
