"""The plain values of collecting updates that every channel shows and sends back.

``Rag`` and ``Source`` are the stored enums, re-exported here so a channel (``handlers``) names
them without importing ``storage``. ``Target`` (a deliverable in a period) and ``Draft`` (what
someone wrote, to pre-fill a form) travel in button values and forms; ``day`` is the one way the
domain writes a date in a sentence (the CLI and the Slack texts show the same words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.calendar.periods import Period
from storage.models import Rag, Source

__all__ = ["Draft", "Rag", "Source", "Target", "day"]


@dataclass(frozen=True)
class Target:
    """The deliverable and period an update is for."""

    deliverable_id: int
    period: Period


@dataclass(frozen=True)
class Draft:
    """What a thread reply said, to pre-fill the form (never trusted for anything else)."""

    rag: Rag | None = None
    narrative: str = ""
    recovery_action: str | None = None
    recovery_date: date | None = None
    change_reason: str | None = None


def day(value: date | str | None) -> str:
    """``Mon 13 Jan 2025`` (``date`` or ISO text); ``not set`` when missing."""
    if value is None or value == "":
        return "not set"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%a} {value.day} {value:%b %Y}"
