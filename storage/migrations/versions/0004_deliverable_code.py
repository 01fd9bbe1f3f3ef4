"""deliverable: a display reference (``GO-3``) unique in its framework

The paper, Slack and exports named deliverables by per-area numbers that restart (1, 2, 3, 1,
2…), so "Great Care 1" named two deliverables. ``deliverable.code`` holds a reference unique in
the framework: the theme's initials and the deliverable's place in its theme. Existing rows are
given theirs here in the order the paper shows them (theme order, then position); new rows get
theirs on import (bot.framework.codes, which this copies so the migration never changes).
``ref`` stays the import identity, untouched.

Revision ID: 0004_deliverable_code
Revises: 0003_report_record
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = "0004_deliverable_code"
down_revision = "0003_report_record"
branch_labels = None
depends_on = None

_SMALL = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "with"}
_theme = sa.table("theme", sa.column("id", sa.Integer()), sa.column("framework_id", sa.Integer()),
                  sa.column("name", sa.String()), sa.column("position", sa.Integer()))
_deliverable = sa.table(
    "deliverable", sa.column("id", sa.Integer()), sa.column("theme_id", sa.Integer()),
    sa.column("position", sa.Integer()), sa.column("code", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(), nullable=True))
    _carry_over(op.get_bind())
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_deliverable_framework_id_code",
                                          ["framework_id", "code"])


def _prefix(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+",
                       unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    initials = "".join(w[0] for w in words if w.lower() not in _SMALL)
    return (initials or "".join(w[0] for w in words) or "D").upper()[:4]


def _carry_over(bind: sa.engine.Connection) -> None:
    themes = bind.execute(sa.select(_theme.c.id, _theme.c.framework_id, _theme.c.name)
                          .order_by(_theme.c.framework_id, _theme.c.position, _theme.c.id)).all()
    used: dict[int, set[str]] = {}
    for theme_id, framework_id, name in themes:
        taken = used.setdefault(framework_id, set())
        base = prefix = _prefix(name)
        extra = 2
        while prefix in taken:
            prefix, extra = f"{base}{extra}", extra + 1
        taken.add(prefix)
        rows = bind.execute(sa.select(_deliverable.c.id).where(_deliverable.c.theme_id == theme_id)
                            .order_by(_deliverable.c.position, _deliverable.c.id)).scalars()
        for place, deliverable_id in enumerate(list(rows), 1):
            bind.execute(_deliverable.update().where(_deliverable.c.id == deliverable_id)
                         .values(code=f"{prefix}-{place}"))


def downgrade() -> None:
    with op.batch_alter_table("deliverable", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliverable_framework_id_code", type_="unique")
        batch_op.drop_column("code")
