"""The plain values of collecting updates that every channel shows and sends back.

``Rag`` and ``Source`` are the stored enums, re-exported here so a channel (``handlers``) names
them without importing ``storage``; ``Target`` (a deliverable in a period, defined beside the
ports in ``bot.ports.updates``) and ``Draft`` (what someone wrote, to pre-fill a form) travel in
button values and forms; ``day`` (``bot.words``)
is the one way a date is written in a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.ports.updates import Target
from bot.words import day
from storage.models import Rag, Source

__all__ = ["Draft", "Rag", "Source", "Target", "day"]


@dataclass(frozen=True)
class Draft:
    """What a thread reply said, to pre-fill the form (never trusted for anything else)."""

    rag: Rag | None = None
    narrative: str = ""
    recovery_action: str | None = None
    recovery_date: date | None = None
    change_reason: str | None = None
