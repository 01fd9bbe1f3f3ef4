"""Slack deliveries already handled, so an event retry makes one write and one reply.

Slack retries an event it did not see acknowledged (a timeout, an error, a crash). A retry of a
delivery whose first attempt *failed* must still be processed: that attempt stored nothing, so
ignoring the retry would silently lose what the person wrote. So a delivery is not marked
handled up front in a transaction of its own; it is *claimed* (a ``ProcessedDelivery`` row)
inside the same unit of work that stores what it carries. If anything fails before that commit,
the claim is rolled back with it and the retry is handled afresh; after the commit a retry finds
the claim and is answered with nothing. If the reply itself cannot be posted, ``release`` drops
the claim so the retry replies (the stored update is found by its idempotency key, not stored
twice).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.messaging.keys import stored_key
from storage.db import session_scope
from storage.models import ProcessedDelivery


def claim(session: Session, key: str) -> bool:
    """Claim delivery ``key`` in this unit of work (committed or rolled back with it);
    ``False`` when it was handled, or is being handled by a concurrent delivery."""
    key = stored_key(key)
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
    """Forget that ``key`` was handled (in its own transaction), so Slack's retry is processed."""
    key = stored_key(key)
    with session_scope(engine, write=True) as session:
        session.exec(delete(ProcessedDelivery).where(col(ProcessedDelivery.key) == key))
