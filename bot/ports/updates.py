"""The values of collecting updates that a channel is handed: a deliverable in a period
(``Target``), what its prompt card shows (``PromptCard``) and, after someone submits, what the
follow-up messages need (``Stored``, ``Submitted``: ``bot.ports.FollowUps``).

They sit beside the ports, below ``bot.collection``, which reads and stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.calendar.periods import Period
from storage.models import Rag


@dataclass(frozen=True)
class Target:
    """The deliverable and period an update is for."""

    deliverable_id: int
    period: Period


@dataclass(frozen=True)
class Received:
    """The version that counts for a deliverable in the period."""

    rag: Rag
    narrative: str
    version: int
    by: str  # who submitted it (name), empty when unknown
    at: datetime | None
    recovery_action: str | None = None
    recovery_date: date | None = None
    change_reason: str | None = None


@dataclass(frozen=True)
class PromptCard:
    """Everything one prompt message shows."""

    target: Target
    number: str
    area: str
    title: str
    theme: str
    deadline: date | None
    joint_sros: tuple[str, ...] = ()
    previous_rag: Rag | None = None
    previous_narrative: str | None = None
    received: Received | None = None
    frozen: bool = False
    on_behalf_of: str | None = None  # a cover's prompt: the absent SRO they answer for
    away_until: date | None = None
    carried: Carried | None = None


@dataclass(frozen=True)
class Carried:
    """A deliverable carried on from an earlier framework, with no update of its own last
    quarter: what it carries on (``Step Up To Great GO-3``) and its last update there."""

    source: str
    period: str | None  # the period of that update (None: it never had one)
    rag: Rag | None
    narrative: str | None


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
class TeamsPrompt:
    """A card sent in Teams that carries the deliverable's form: to whom (AAD object id,
    person) and where it is. ``kind``: its outbox kind (``prompt``; ``changes_requested``, whose
    ``request`` is the lead's request as recorded; ``reminder``, turned into the form)."""

    to: str
    person_id: int | None
    conversation_id: str
    activity_id: str
    kind: str = "prompt"
    request: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SentRequest:
    """A governance lead's request for changes as sent on Slack (a DM): to whom (Slack id),
    where it is, and the request as recorded (its outbox payload)."""

    to: str
    channel: str
    ts: str
    request: Mapping[str, Any]


@dataclass(frozen=True)
class Submitted:
    """What the messages after a submission need: the stored update, its author's name and every
    sent prompt of the deliverable with its card as it is now (``prompts``: on Slack;
    ``teams_prompts``: in Teams, whose cards are redrawn from the form itself), and the
    governance leads' requests for changes to it sent on Slack (``change_requests``)."""

    stored: Stored
    actor_name: str
    prompts: tuple[tuple[str, str, str, PromptCard], ...]  # (to, channel, ts, card)
    teams_prompts: tuple[TeamsPrompt, ...] = ()
    change_requests: tuple[SentRequest, ...] = ()  # on Slack, redrawn with the version saved

    def prompt_of(self, user: str) -> tuple[str, str] | None:
        for to, channel, ts, _card in self.prompts:
            if to == user:
                return channel, ts
        return None
