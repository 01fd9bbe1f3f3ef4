"""What follows a stored update: the values the confirmation, the refreshed prompt cards and
the co-owners' notices show (``bot.ports.FollowUps`` delivers them).

``Stored`` is taken inside the submitting transaction with no extra queries (that transaction
does only the write: SQLite serialises writers); ``submitted`` gathers the rest in a read-only
unit of work after it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.calendar.periods import Period
from bot.collection.cards import PromptCard, card, card_facts
from bot.collection.updates import SubmitResult
from bot.collection.values import Rag
from bot.framework.people import person_for_slack_id
from bot.messaging.outbox import sent_prompts
from storage.db import session_scope
from storage.models import Person

if TYPE_CHECKING:
    from bot.context import AppContext

# The outbox kind of the messages after a form submission: recorded in the submitting
# transaction, sent by the worker (``ctx.channels.messenger``), so none is lost on a crash.
FOLLOW_UP = "follow_up"


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
    # The person who submitted, when known by person (the web form); ``actor`` is then their
    # Slack user id, or "" when they are not on Slack.
    actor_person_id: int | None = None
    superseded: bool = False  # written before the version that counts (delivered late)

    @classmethod
    def of(cls, result: SubmitResult, period: Period, actor: str, *,
           person_id: int | None = None) -> Stored:
        update = result.update
        return cls(period=period, actor=actor, actor_person_id=person_id,
                   deliverable_id=result.deliverable.id or 0,
                   number=result.deliverable.code or result.deliverable.number,
                   title=result.deliverable.title,
                   rag=Rag(update.rag), narrative=update.narrative, version=update.version,
                   co_owners=result.co_owners_slack_ids, superseded=result.superseded)

    def as_payload(self) -> dict[str, Any]:
        """Plain JSON for the outbox (``from_payload`` reads it back)."""
        return {"period": self.period.label, "actor": self.actor,
                "actor_person_id": self.actor_person_id, "superseded": self.superseded,
                "deliverable_id": self.deliverable_id, "number": self.number,
                "title": self.title, "rag": self.rag.value, "narrative": self.narrative,
                "version": self.version, "co_owners": list(self.co_owners)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Stored:
        person = payload.get("actor_person_id")
        return cls(period=Period.parse(str(payload["period"])), actor=str(payload["actor"]),
                   actor_person_id=int(person) if person is not None else None,
                   superseded=bool(payload.get("superseded")),
                   deliverable_id=int(payload["deliverable_id"]), number=str(payload["number"]),
                   title=str(payload["title"]), rag=Rag(payload["rag"]),
                   narrative=str(payload["narrative"]), version=int(payload["version"]),
                   co_owners=tuple(str(user) for user in payload.get("co_owners") or ()))


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
        person = (session.get(Person, stored.actor_person_id)
                  if stored.actor_person_id is not None
                  else person_for_slack_id(session, stored.actor))
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
