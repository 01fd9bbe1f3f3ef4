"""The one vocabulary of Ragtime: RAG words, risk directions and dates in sentences.

The board paper, the terminal and every channel say the same thing the same way: a rating is
"Green", "Amber" or "Red" ("No update" when nothing was submitted), a BAF risk's score is
"↑ up", "↓ down" or "→ static" against the previous period (the words a framework file uses),
and a date in a sentence is "Mon 13 Jan 2025". Channels add their own decoration (Slack's
emoji, in ``handlers.slack.blocks.words``) on top of these words, never other words.
"""

from __future__ import annotations

from datetime import date

RAGS = ("green", "amber", "red")
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}
NO_UPDATE = "No update"
RAG_MEANINGS = {"green": "on track", "amber": "at risk, recovery in hand", "red": "off track"}

DIRECTIONS = ("up", "down", "static")
DIRECTION_WORDS = {"up": "↑ up", "down": "↓ down", "static": "→ static"}


def rag_value(rag: object) -> str | None:
    """``Rag.green``, ``"Green"`` or ``"green"`` → ``"green"``; None or "" → None."""
    if rag is None or rag == "":
        return None
    return str(getattr(rag, "value", rag)).lower()


def rag_word(rag: object, *, missing: str = NO_UPDATE) -> str:
    """``Green``, ``Amber``, ``Red``; ``missing`` when there is no rating."""
    value = rag_value(rag)
    return RAG_WORDS.get(value, str(value).capitalize()) if value else missing


def direction_word(direction: str | None) -> str:
    """``↑ up`` / ``↓ down`` / ``→ static``; "" when unknown."""
    return DIRECTION_WORDS.get(direction or "", direction or "")


def day(value: date | str | None, *, missing: str = "not set") -> str:
    """``Mon 13 Jan 2025`` (a ``date`` or ISO text); ``missing`` when there is none."""
    if value is None or value == "":
        return missing
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%a} {value.day} {value:%b %Y}"


def long_date(value: date | None) -> str:
    """``13 January 2025``, the board paper's dates; "" when there is none."""
    return f"{value.day} {value:%B %Y}" if value else ""


# The Board Assurance Framework's words: the 5×5 grid's descriptors and the risk appetites.
LIKELIHOODS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
CONSEQUENCES = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Catastrophic"}
APPETITE_WORDS = {"averse": "Averse", "minimal": "Minimal", "cautious": "Cautious",
                  "open": "Open"}
