"""Slack mrkdwn escaping, text limits, and Block Kit builders that respect Slack's limits.

Every piece of user-supplied text re-posted to Slack goes through ``escape`` so that a narrative
containing ``<!channel>``, ``<@U123>`` or ``<https://evil|click>`` is shown, not acted on.
Builders truncate to Slack's documented limits instead of letting Slack reject the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# Block Kit limits (https://docs.slack.dev/reference/block-kit/)
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
SECTION_FIELDS_MAX = 10
HEADER_TEXT_LIMIT = 150
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
ACTION_ID_LIMIT = 255
BLOCK_ID_LIMIT = 255
MODAL_TITLE_LIMIT = 24
MODAL_BUTTON_LIMIT = 24
INPUT_LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
PRIVATE_METADATA_LIMIT = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_LIMIT = 40_000

ELLIPSIS = "…"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE_RE = re.compile("[&<>]")
_ENTITY_RE = re.compile("&(amp|lt|gt);")


class BlockLimitError(ValueError):
    """A message or view has more blocks than Slack accepts."""


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so Slack shows user text literally (no mentions or links)."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def truncate(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``marker`` when cut.

    Never cuts through an ``&amp;``-style entity produced by ``escape``.
    """
    if limit < len(marker):
        raise ValueError(f"limit {limit} is shorter than the marker {marker!r}")
    if len(text) <= limit:
        return text
    cut = text[: limit - len(marker)]
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:] and _ENTITY_RE.match(text, amp):
        cut = cut[:amp]
    return cut.rstrip() + marker


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters.

    Cuts at the last paragraph break, else line break, else space within the limit (a word
    longer than the limit is cut hard). The separator stays at the end of the piece it ends, so
    ``"".join(pieces) == text``.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = window.rfind(separator)
            if found > 0:
                cut = found + len(separator)
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


# -- text objects --------------------------------------------------------------------------

def plain(text: str, limit: int | None = None, *, emoji: bool = True) -> dict[str, Any]:
    """A ``plain_text`` object (Slack shows it literally; no escaping needed)."""
    value = truncate(text, limit) if limit else text
    return {"type": "plain_text", "text": value or " ", "emoji": emoji}


def md(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    """A ``mrkdwn`` text object; ``text`` must already be escaped where it holds user input."""
    return {"type": "mrkdwn", "text": truncate(text, limit) or " ", "verbatim": True}


# -- blocks --------------------------------------------------------------------------------

def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT_LIMIT)}


def section(
    text: str,
    *,
    fields: Sequence[str] = (),
    accessory: dict[str, Any] | None = None,
    block_id: str | None = None,
) -> dict[str, Any]:
    """A section of mrkdwn ``text`` (cut to 3,000) and up to 10 mrkdwn ``fields``."""
    block: dict[str, Any] = {"type": "section", "text": md(text)}
    if fields:
        block["fields"] = [md(f, SECTION_FIELD_LIMIT) for f in fields[:SECTION_FIELDS_MAX]]
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id[:BLOCK_ID_LIMIT]
    return block


def sections(text: str, *, limit: int = SECTION_TEXT_LIMIT) -> list[dict[str, Any]]:
    """Long mrkdwn text as consecutive sections, split on paragraph/line/word boundaries."""
    return [section(piece) for piece in split_text(text, limit)]


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(t) for t in texts[:CONTEXT_ELEMENTS_MAX]]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id[:ACTION_ID_LIMIT],
    }
    if value is not None:
        if len(value) > BUTTON_VALUE_LIMIT:
            raise ValueError(f"button value longer than {BUTTON_VALUE_LIMIT} characters")
        element["value"] = value
    if style in ("primary", "danger"):
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id[:BLOCK_ID_LIMIT]
    return block


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    """A select/radio option; text cut to 75 characters, value must fit 150."""
    if len(value) > OPTION_VALUE_LIMIT:
        raise ValueError(f"option value longer than {OPTION_VALUE_LIMIT} characters")
    item: dict[str, Any] = {"text": plain(text, OPTION_TEXT_LIMIT), "value": value}
    if description:
        item["description"] = plain(description, OPTION_TEXT_LIMIT)
    return item


def private_metadata(value: str) -> str:
    """Check a view's private_metadata fits Slack's 3,000 characters (never silently cut)."""
    if len(value) > PRIVATE_METADATA_LIMIT:
        raise ValueError(
            f"private_metadata is {len(value)} characters; Slack allows {PRIVATE_METADATA_LIMIT}"
        )
    return value


def message_blocks(blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a message has at most 50 blocks."""
    return _check_count(list(blocks), MESSAGE_BLOCKS_MAX, "a message")


def modal(
    title: str,
    blocks: Iterable[dict[str, Any]],
    *,
    callback_id: str,
    submit: str | None = None,
    close: str | None = "Cancel",
    private_metadata_value: str = "",
    external_id: str | None = None,
) -> dict[str, Any]:
    """A modal view: title/buttons cut to 24 characters, at most 100 blocks."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_LIMIT),
        "blocks": _check_count(list(blocks), VIEW_BLOCKS_MAX, "a modal"),
        "private_metadata": private_metadata(private_metadata_value),
    }
    if submit:
        view["submit"] = plain(submit, MODAL_BUTTON_LIMIT)
    if close:
        view["close"] = plain(close, MODAL_BUTTON_LIMIT)
    if external_id:
        view["external_id"] = external_id
    return view


def home(blocks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """An App Home view: at most 100 blocks."""
    return {"type": "home", "blocks": _check_count(list(blocks), VIEW_BLOCKS_MAX, "the App Home")}


def _check_count(blocks: list[dict[str, Any]], limit: int, what: str) -> list[dict[str, Any]]:
    if len(blocks) > limit:
        raise BlockLimitError(f"{what} can hold at most {limit} blocks; got {len(blocks)}")
    return blocks
