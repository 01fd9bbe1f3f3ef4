"""What follows a stored update: the values the confirmation, the refreshed prompt cards and
the co-owners' notices show (``bot.ports.FollowUps`` delivers them).

``Stored`` is taken inside the submitting transaction with no extra queries (that transaction
does only the write: SQLite serialises writers); ``submitted`` gathers the rest in a read-only
unit of work after it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.calendar.periods import Period
from bot.collection.cards import PromptCard, card, card_facts
from bot.collection.updates import SubmitResult
from bot.collection.values import Rag
from bot.framework.people import person_for_slack_id
from bot.messaging.outbox import sent_prompts
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class Stored:
    """A newly stored update, as plain values taken in the submitting transaction (no queries:
    the transaction does only the write, and what follows it is gathered after it commits)."""

    period: Period
    actor: str
    deliverable_id: int
    number: str
    title: str
    rag: Rag
    narrative: str
    version: int
    co_owners: tuple[str, ...]
    superseded: bool = False  # written before the version that counts (delivered late)

    @classmethod
    def of(cls, result: SubmitResult, period: Period, actor: str) -> Stored:
        update = result.update
        return cls(period=period, actor=actor, deliverable_id=result.deliverable.id or 0,
                   number=result.deliverable.code or result.deliverable.number,
                   title=result.deliverable.title,
                   rag=Rag(update.rag), narrative=update.narrative, version=update.version,
                   co_owners=result.co_owners_slack_ids, superseded=result.superseded)


@dataclass(frozen=True)
class Submitted:
    """What the messages after a submission need: the stored update, its author's name and every
    sent prompt of the deliverable with its card as it is now."""

    stored: Stored
    actor_name: str
    prompts: tuple[tuple[str, str, str, PromptCard], ...]  # (to, channel, ts, card)

    def prompt_of(self, user: str) -> tuple[str, str] | None:
        for to, channel, ts, _card in self.prompts:
            if to == user:
                return channel, ts
        return None


def submitted(ctx: AppContext, stored: Stored) -> Submitted:
    """Gather, in a read-only unit of work after the update is committed, everything the
    follow-up messages show: the actor's name and a fresh card for each prompt."""
    with session_scope(ctx.engine) as session:
        person = person_for_slack_id(session, stored.actor)
        sent = [prompt for prompt in sent_prompts(session, stored.deliverable_id, stored.period)
                if prompt.channel and prompt.ts]
        prompts: tuple[tuple[str, str, str, PromptCard], ...] = ()
        if sent:  # the same facts on every card of the deliverable: read once
            facts = card_facts(session, stored.deliverable_id, stored.period)
            prompts = tuple(
                (str(prompt.payload.get("to") or ""), prompt.channel or "", prompt.ts or "",
                 card(prompt.payload, facts))
                for prompt in sent
            )
    return Submitted(stored=stored, actor_name=person.name if person else "", prompts=prompts)
