"""Small helpers shared by the builders: names of deliverables and people, block limits, and
the ``Message`` they make. Words, emoji, dates and escaping are ``handlers.slack.blocks.words``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.words import esc

OUTSTANDING = ":hourglass_flowing_sand: Outstanding"


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
