"""What passes between the domain and a channel (Slack, email): messages and delivery errors.

A channel that cannot deliver raises ``PermanentSendError`` (retrying cannot help: fix the
person, channel or message first) or ``TransientSendError`` (the channel or the network was
unwell; try again later). Both are ``SendError``s carrying the channel's short ``error`` code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class SendError(RuntimeError):
    """A channel could not deliver; ``error`` is its short code (``user_not_found``…).
    ``everyone``: the channel refuses every call now (no permission, unreachable), not just
    this person's, so a run over many people need not try the rest."""

    def __init__(self, message: str, *, error: str = "", everyone: bool = False) -> None:
        super().__init__(message)
        self.error = error or message
        self.everyone = everyone


class PermanentSendError(SendError):
    """Retrying will not help: the person, channel or message must change first."""


class TransientSendError(SendError):
    """The channel or the network failed even after retrying; try again later."""


@dataclass(frozen=True)
class SentRef:
    """Where a message went: the channel (``D…`` for a Slack DM) and the message's id (ts)."""

    channel: str
    ts: str


@dataclass(frozen=True)
class RecordedMessage:
    """An outbox row as a channel sees it: what to send, and how often it was tried."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    created_at: datetime | None = None
    deliverable_id: int | None = None
    person_id: int | None = None
    via: str = "slack"  # the channel that delivers it (``bot.messaging.routing``)
