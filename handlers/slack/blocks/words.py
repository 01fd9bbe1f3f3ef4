"""The one Slack vocabulary: RAG words with their emoji, risk directions, dates, people, and
escaping. Every builder and listener says these things through here.

The words themselves are the domain's (``bot.words``): Slack only adds emoji and mrkdwn.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from bot.words import NO_UPDATE, RAG_WORDS, day, direction_word, rag_value
from bot.words import rag_word as _rag_word
from handlers.slack.blocks import kit

__all__ = [
    "NO_RATING",
    "NO_UPDATE",
    "RAG_EMOJI",
    "RAG_WORDS",
    "day",
    "direction_word",
    "esc",
    "esc_line",
    "moment",
    "quote",
    "rag_emoji",
    "rag_label",
    "rag_word",
    "when",
    "who",
]

RAG_EMOJI = {"green": ":large_green_circle:", "amber": ":large_orange_circle:",
             "red": ":red_circle:", None: ":white_circle:"}
NO_RATING = "no rating"  # what an SRO's own prompt says before they have rated it
QUOTE_LIMIT = 2500  # room for a heading in the same 3,000-character section

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def rag_emoji(rag: object) -> str:
    return RAG_EMOJI.get(rag_value(rag), RAG_EMOJI[None])


def rag_word(rag: object, *, missing: str = NO_RATING) -> str:
    """``Amber``; ``no rating`` (or ``missing``) when there is none."""
    return _rag_word(rag, missing=missing)


def rag_label(rag: object, *, missing: str = NO_RATING) -> str:
    """``:large_orange_circle: Amber``; ``no rating`` (or ``missing``) when there is none."""
    if rag_value(rag) is None:
        return missing
    return f"{rag_emoji(rag)} {rag_word(rag)}"


def moment(value: datetime | None, tz: tzinfo) -> str:
    """``20 Dec 2024 10:05`` in the organisation's time zone."""
    if value is None:
        return ""
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{local.day} {local:%b %Y %H:%M}"


def when(value: datetime | None, tz: tzinfo) -> str:
    """``14:05 on 3 October 2024`` in the organisation's time zone."""
    if value is None:
        return "an unknown time"
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def who(actor: str | None) -> str:
    """``<@U123>`` for a Slack user id, else the (escaped) name of the CLI user or job."""
    if not actor:
        return "someone"
    return f"<@{actor}>" if _SLACK_USER.match(actor) else esc_line(actor)


def esc(text: object) -> str:
    """User or framework text made safe for mrkdwn (no mentions, links or broadcasts)."""
    return kit.escape(str(text or ""))


def esc_line(text: object) -> str:
    """``esc`` on one line: runs of whitespace (newlines included) become one space."""
    return kit.escape(" ".join(str(text or "").split()))


def quote(text: str | None, limit: int = QUOTE_LIMIT) -> str:
    """User text as an escaped mrkdwn quote, cut to ``limit`` characters."""
    cleaned = str(text or "").strip()
    if not cleaned:
        return "> _(no narrative)_"
    escaped = kit.truncate(kit.escape(cleaned), limit)
    return "\n".join("> " + line if line.strip() else ">" for line in escaped.splitlines())


