"""absences and their cover, deadline extensions, updates submitted on someone's behalf

``absence``: a person away between two dates and who covers for them (bot.framework.absences);
``deadline_extension``: a later deadline in one round for a person or a deliverable
(bot.collection.extensions); ``update_on_behalf``: which SRO a cover's update was for.

Revision ID: 0010_absences
Revises: 0008_link_revocation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0010_absences"
down_revision = "0012_teams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["cover_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absence_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_absence_cover_id"), ["cover_id"], unique=False)
    op.create_table(
        "deadline_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("deliverable_id", sa.Integer(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("granted_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("granted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["deliverable_id"], ["deliverable.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline_extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_extension_round_id"), ["round_id"],
                              unique=False)
    op.create_table(
        "update_on_behalf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=False),
        sa.Column("absence_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["update_id"], ["update.id"]),
        sa.ForeignKeyConstraint(["on_behalf_of_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["absence_id"], ["absence.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id"),
    )


def downgrade() -> None:
    op.drop_table("update_on_behalf")
    with op.batch_alter_table("deadline_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_extension_round_id"))
    op.drop_table("deadline_extension")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_cover_id"))
        batch_op.drop_index(batch_op.f("ix_absence_person_id"))
    op.drop_table("absence")
