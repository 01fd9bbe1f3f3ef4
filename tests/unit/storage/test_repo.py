from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from storage.db import session_scope, write_scope
from storage.models import InboxItem, InboxStatus
from storage.repo import insert_new, insert_new_rows

NOW = datetime(2024, 10, 1, 9, 30, tzinfo=UTC)


def _values(key: str) -> dict[str, object]:
    return {"key": key, "kind": "slack.request", "payload": {"body": {"text": "On track"}},
            "received_at": NOW}


def test_insert_new_stores_a_key_once_in_a_session_or_a_core_unit(any_engine):
    with session_scope(any_engine, write=True) as session:
        first = insert_new(session, InboxItem, unique="key", values=_values("a"))
        again = insert_new(session, InboxItem, unique="key", values=_values("a"))
    with write_scope(any_engine) as connection:
        other = insert_new(connection, InboxItem, unique="key", values=_values("b"))
        repeated = insert_new(connection, InboxItem, unique="key", values=_values("b"))
    assert isinstance(first, int) and isinstance(other, int) and first != other
    assert again is None and repeated is None
    with session_scope(any_engine) as session:
        rows = session.exec(select(InboxItem).order_by(InboxItem.id)).all()
    assert [(row.id, row.key, row.status, row.attempts, row.payload) for row in rows] == [
        (first, "a", InboxStatus.pending, 0, {"body": {"text": "On track"}}),
        (other, "b", InboxStatus.pending, 0, {"body": {"text": "On track"}}),
    ]


def test_a_core_unit_that_fails_stores_nothing(any_engine):
    try:
        with write_scope(any_engine) as connection:
            insert_new(connection, InboxItem, unique="key", values=_values("c"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(any_engine) as session:
        assert session.exec(select(InboxItem)).all() == []


def test_insert_new_rows_stores_each_new_key_once_in_one_statement(any_engine):
    with write_scope(any_engine) as connection:
        insert_new(connection, InboxItem, unique="key", values=_values("old"))
    sent: list[str] = []
    event.listen(any_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: sent.append(statement))
    with write_scope(any_engine) as connection:
        new = insert_new_rows(connection, InboxItem, unique="key", rows=[
            _values("d"), _values("old"), _values("e"), _values("d")])
    assert new == [True, False, True, False]
    assert [s.split()[0] for s in sent if "inbox_item" in s] == ["INSERT"]
    with session_scope(any_engine) as session:
        assert session.exec(select(InboxItem.key).order_by(InboxItem.id)).all() == [
            "old", "d", "e"]
