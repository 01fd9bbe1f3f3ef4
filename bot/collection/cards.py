"""What a prompt card shows: the deliverable, last quarter's update and what has been received.

A prompt message (one per SRO and deliverable) is drawn when the round opens and redrawn after
anyone submits, so both read the same facts here and a channel only renders the ``PromptCard``.
The recorded prompt's payload holds what does not change (number, title, theme, deadline, joint
SROs); the entry context, the previous period's update and the latest version are read now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.updates import entry_context, previous_period_update, update_history
from bot.collection.values import Rag, Target
from bot.framework.carry import carried_from
from bot.framework.people import person_for_slack_id
from bot.ports.messages import RecordedMessage
from bot.ports.updates import Carried, PromptCard, Received
from storage.db import session_scope
from storage.models import PeriodRecord, Update

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class CardFacts:
    """What every prompt card of one deliverable shows from storage (read once for all)."""

    target: Target
    previous_rag: Rag | None
    previous_narrative: str | None
    received: Received | None
    frozen: bool
    carried: Carried | None = None


def prompt_card(ctx: AppContext, prompt: RecordedMessage) -> PromptCard:
    """The recorded prompt's card as it is now (its own read-only unit of work)."""
    payload = prompt.payload
    with session_scope(ctx.engine) as session:
        facts = card_facts(session, int(payload["deliverable_id"]),
                           Period.parse(payload["period"]))
    return card(payload, facts)


def card_facts(session: Session, deliverable_id: int, period: Period) -> CardFacts:
    entry = entry_context(session, deliverable_id, period)
    previous = previous_period_update(session, deliverable_id, period)
    received = None
    latest = entry.latest if entry else None
    if latest is not None:
        by = person_for_slack_id(session, latest.submitted_by_slack_id or "")
        received = Received(
            rag=Rag(latest.rag), narrative=latest.narrative, version=latest.version,
            by=by.name if by else "", at=latest.submitted_at,
            recovery_action=latest.recovery_action, recovery_date=latest.recovery_date,
            change_reason=latest.change_reason,
        )
    return CardFacts(target=Target(deliverable_id, period),
                     previous_rag=Rag(previous.rag) if previous else None,
                     previous_narrative=previous.narrative if previous else None,
                     received=received, frozen=bool(entry and entry.frozen),
                     carried=carried_facts(session, deliverable_id, previous))


def carried_facts(session: Session, deliverable_id: int, previous: Update | None
                  ) -> Carried | None:
    """What a deliverable carries on and the last update it had there, shown in place of last
    quarter's update (``previous``): None when it had one of its own, or carries nothing on."""
    if previous is not None:
        return None
    found = carried_from(session, [deliverable_id]).get(deliverable_id)
    if found is None:
        return None
    history = update_history(session, found.source_id)
    last = history[-1] if history else None
    record = session.get(PeriodRecord, last.period_id) if last else None
    return Carried(source=found.label, period=record.label if record else None,
                   rag=Rag(last.rag) if last else None,
                   narrative=last.narrative if last else None)


def card(payload: dict[str, Any], facts: CardFacts) -> PromptCard:
    """A prompt's card from its recorded ``payload`` and the deliverable's ``facts``."""
    return PromptCard(
        target=facts.target,
        number=str(payload.get("number") or ""), area=str(payload.get("area") or ""),
        title=str(payload.get("title") or ""), theme=str(payload.get("theme") or ""),
        deadline=_day(payload.get("deadline")),
        joint_sros=tuple(payload.get("joint_sros") or ()),
        previous_rag=facts.previous_rag, previous_narrative=facts.previous_narrative,
        received=facts.received, frozen=facts.frozen, carried=facts.carried,
        on_behalf_of=str(payload["on_behalf_of"]) if payload.get("on_behalf_of") else None,
        away_until=_day(payload.get("away_until")),
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
