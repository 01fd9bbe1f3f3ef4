"""Migration 0006: everyone already stored gets ``channel = auto`` and every recorded outbox
message ``via = NULL`` (Slack), on SQLite and PostgreSQL; it downgrades cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from storage.migrate import alembic_config, current, upgrade

person = sa.table("person", sa.column("id", sa.Integer()), sa.column("key", sa.String()),
                  sa.column("name", sa.String()), sa.column("title", sa.String()))
outbox = sa.table("outbox_message", sa.column("key", sa.String()), sa.column("kind", sa.String()),
                  sa.column("status", sa.Enum("pending", "sending", "sent", "failed",
                                              name="outboxstatus")),
                  sa.column("payload", sa.JSON()),
                  sa.column("attempts", sa.Integer()), sa.column("created_at", sa.DateTime()))



def test_0006_gives_stored_people_auto_and_stored_messages_slack(engine_at_0004: Engine):
    engine = engine_at_0004
    with engine.begin() as conn:
        conn.execute(person.insert().values(id=1, key="smurphy", name="Sharon Murphy", title=""))
        conn.execute(outbox.insert().values(key="prompt:x", kind="prompt", status="sent",
                                            payload={}, attempts=1,
                                            created_at=sa.func.current_timestamp()))

    upgrade(engine, "0006_person_channel")

    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT channel FROM person")).scalar_one() == "auto"
        assert conn.execute(sa.text("SELECT via FROM outbox_message")).scalar_one() is None
    with engine.connect() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0004_deliverable_code")
        conn.commit()
    assert current(engine) == ("0004_deliverable_code",)
    with engine.connect() as conn:
        assert "channel" not in {c["name"] for c in sa.inspect(conn).get_columns("person")}
