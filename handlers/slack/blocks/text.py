"""Small text helpers shared by the builders: ratings, dates, quoted user text, block limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from bot.collection.values import Rag
from handlers.slack.blocks import kit as mrkdwn

RAG_EMOJI = {Rag.red: ":red_circle:", Rag.amber: ":large_orange_circle:",
             Rag.green: ":large_green_circle:"}
OUTSTANDING = ":hourglass_flowing_sand: Outstanding"
QUOTE_LIMIT = 2500  # room for a heading in the same 3,000-character section


def rag_label(rag: Rag | str | None) -> str:
    """``:large_orange_circle: Amber``, or ``no rating`` when there is none."""
    if rag is None or rag == "":
        return "no rating"
    rating = Rag(rag)
    return f"{RAG_EMOJI[rating]} {rating.value.title()}"


def rag_word(rag: Rag | str | None) -> str:
    return Rag(rag).value.title() if rag else "no rating"


def day(value: date | str | None) -> str:
    """``Mon 13 Jan 2025`` (``date`` or ISO text); ``not set`` when missing."""
    if value is None or value == "":
        return "not set"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%a} {value.day} {value:%b %Y}"


def moment(value: datetime | None, tz: tzinfo) -> str:
    """``20 Dec 2024 10:05`` in the organisation's time zone."""
    if value is None:
        return ""
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{local.day} {local:%b %Y %H:%M}"


def esc(text: str | None) -> str:
    """User or framework text made safe for mrkdwn (no mentions, links or broadcasts)."""
    return mrkdwn.escape(str(text or ""))


def quote(text: str | None, limit: int = QUOTE_LIMIT) -> str:
    """User text as an escaped mrkdwn quote, cut to ``limit`` characters."""
    cleaned = str(text or "").strip()
    if not cleaned:
        return "> _(no narrative)_"
    escaped = mrkdwn.truncate(mrkdwn.escape(cleaned), limit)
    return "\n".join("> " + line if line.strip() else ">" for line in escaped.splitlines())


def deliverable_name(number: str | None, title: str) -> str:
    """``*1.1 Review, update… Trust Access Policy*`` (escaped, bold)."""
    label = f"{number} {title}" if number else title
    return f"*{esc(mrkdwn.truncate(label, 600))}*"


def where(theme: str | None, area: str | None) -> str:
    parts = [esc(part) for part in (theme, area) if part]
    return " › ".join(parts)


def names(people: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C`` (escaped)."""
    items = [esc(person) for person in people if person]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fit(
    blocks: Iterable[dict[str, Any]], limit: int, more: str = "…and {n} more not shown."
) -> list[dict[str, Any]]:
    """At most ``limit`` blocks; when cut, the last one says how many were left out."""
    items = list(blocks)
    if len(items) <= limit:
        return items
    kept = items[: limit - 1]
    return [*kept, mrkdwn.context(more.format(n=len(items) - len(kept)))]


def chunks(blocks: Sequence[dict[str, Any]], size: int = mrkdwn.MESSAGE_BLOCKS_MAX
           ) -> list[list[dict[str, Any]]]:
    """Blocks split into messages of at most ``size`` blocks each (at least one message)."""
    if not blocks:
        return [[]]
    return [list(blocks[start:start + size]) for start in range(0, len(blocks), size)]



@dataclass(frozen=True)
class Message:
    """A message to post: fallback ``text`` (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", mrkdwn.truncate(self.text, 3000))
        object.__setattr__(self, "blocks", mrkdwn.message_blocks(self.blocks))
