"""What an email transport is given, and what it promises (``handlers.email.transports``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Email:
    """One email to send: ``key`` is its outbox key (its identity across retries)."""

    key: str
    to: str
    subject: str
    text: str
    html: str
    fields: dict[str, str] = field(default_factory=dict)  # Notify's personalisation


class Transport(Protocol):
    def send(self, email: Email) -> str:
        """Deliver ``email``; returns the id the transport gave it."""
        ...

    def already_sent(self, email: Email) -> str | None:
        """The id of an earlier delivery of ``email`` (same key), when the transport can tell."""
        ...
