"""Small pieces every card uses: plain text that is never Markdown, headings, the card itself."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard, RichTextBlock, TextBlock, TextRun

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def plain(text: str, *, weight: str | None = None, color: str | None = None,
          is_subtle: bool | None = None, spacing: str | None = None) -> RichTextBlock:
    """``text`` shown exactly as written (a ``TextRun`` is not Markdown)."""
    run = TextRun(text=text, weight=weight, color=color, is_subtle=is_subtle)
    return RichTextBlock(inlines=[run], spacing=spacing)


def heading(text: str) -> TextBlock:
    """Ragtime's own words as a heading (never user text: a TextBlock reads Markdown)."""
    return TextBlock(text=text, weight="Bolder", size="Medium", wrap=True)


def note(text: str, *, color: str | None = None) -> TextBlock:
    return TextBlock(text=text, wrap=True, color=color, is_subtle=color is None)


def as_json(card: AdaptiveCard) -> dict[str, Any]:
    """The card as the connector takes it (checked against the SDK's models on the way)."""
    data = card.model_dump(by_alias=True, exclude_none=True)
    AdaptiveCard.model_validate(data)
    return {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", **data}


def card_activity(card: AdaptiveCard, summary: str) -> dict[str, Any]:
    """A message activity carrying ``card`` (``summary`` is what notifications show)."""
    return {"type": "message", "summary": summary,
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": as_json(card)}]}
