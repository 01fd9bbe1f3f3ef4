"""Slack deliveries already handled, so an event retry makes one write and one reply.

A delivery is *claimed* (a ``ProcessedDelivery`` row) inside the same transaction that stores
what it carries: if anything fails before that commit, the claim is rolled back with it and
Slack's retry is handled afresh; after the commit a retry finds the claim and is answered with
nothing. If the reply itself cannot be posted, ``release`` drops the claim so the retry replies
(the stored update is found by its idempotency key, not stored twice).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import session_scope
from storage.models import ProcessedDelivery


def claim(session: Session, key: str) -> bool:
    """Claim ``key`` in this unit of work; ``False`` when it was handled (or is being handled)."""
    if session.exec(select(ProcessedDelivery.id).where(ProcessedDelivery.key == key)).first():
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedDelivery(key=key))
            session.flush()
    except IntegrityError:  # claimed meanwhile by a concurrent delivery (PostgreSQL)
        return False
    return True


def release(engine: Engine, key: str) -> None:
    with session_scope(engine, write=True) as session:
        session.exec(delete(ProcessedDelivery).where(col(ProcessedDelivery.key) == key))
