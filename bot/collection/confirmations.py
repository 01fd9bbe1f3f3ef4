"""The confirmation an SRO answering by email gets, recorded in the outbox.

``record_confirmation(session, update_id=...)`` is called in the transaction that stored the
update (the web form's submission), so the confirmation is sent exactly when the update is kept:
then ``bot.messaging.flows.deliver_outbox(ctx, kinds={CONFIRMATION})`` sends it. It goes to the
update's author by email (``OutboxMessage.via`` ``email``), once per stored version.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.messaging.outbox import record_message
from bot.messaging.routing import EMAIL
from storage.models import (
    Deliverable,
    OutboxMessage,
    PeriodRecord,
    Person,
    Rag,
    Round,
    Update,
)

CONFIRMATION = "confirmation"


def record_confirmation(session: Session, *, update_id: int) -> OutboxMessage | None:
    """Record the confirmation of the stored update ``update_id`` to its author's email;
    None when the author has no email address (or is not known)."""
    update = session.get(Update, update_id)
    if update is None or update.submitted_by_id is None:
        return None
    person = session.get(Person, update.submitted_by_id)
    deliverable = session.get(Deliverable, update.deliverable_id)
    period = session.get(PeriodRecord, update.period_id)
    if person is None or not person.email or deliverable is None or period is None:
        return None
    round_id = session.exec(select(Round.id).where(
        Round.framework_id == deliverable.framework_id, Round.period_id == period.id)).first()
    message, _ = record_message(
        session, key=f"{CONFIRMATION}:{update.id}", kind=CONFIRMATION, period_id=period.id,
        deliverable_id=deliverable.id, person_id=person.id, via=EMAIL,
        payload={"to": person.email, "person_name": person.name, "period": period.label,
                 "number": deliverable.code or deliverable.number, "title": deliverable.title,
                 "rag": Rag(update.rag).value,
                 "narrative": update.narrative, "version": update.version,
                 "round_id": round_id},
    )
    return message
