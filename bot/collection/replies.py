"""Free-text replies in a prompt's DM thread, such as ``Amber – delayed by estates works``.

The rating comes first: a word (``Green``), a letter followed by a separator or nothing
(``G``, ``A: …``, ``R - …``), a Slack emoji (``:large_green_circle:``) or a Unicode one (🟢),
optionally after ``RAG:``. A bare letter never counts when it starts a word, so "Awaiting
funding" is not Amber and "Great progress" is not Green. Optional labelled lines follow::

    Recovery: <action>          (also "Action:", "Recovery action:")
    By: <date>                  (also "Due:", "Expected:", "Recovery date:")
    Reason: <text>              (also "Reason for change:", "Change reason:")

Everything else is the narrative. ``parse_reply`` never raises, whatever the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.collection.dates import parse_date
from bot.collection.rules import Rules, check_update
from storage.models import Rag


@dataclass(frozen=True)
class ParsedReply:
    rag: Rag | None
    narrative: str
    recovery_action: str | None = None
    recovery_date: date | None = None
    change_reason: str | None = None
    # The date as written when it could not be read (e.g. "31/02/2025"), for the error message.
    recovery_date_text: str | None = None


# ------------------------------------------------------------------------------ the rating

_EMOJI = {
    "🟢": Rag.green, "🟠": Rag.amber, "🟡": Rag.amber, "🔴": Rag.red,
}
_SHORTCODES = {
    "large_green_circle": Rag.green, "green_circle": Rag.green,
    "large_orange_circle": Rag.amber, "orange_circle": Rag.amber,
    "large_yellow_circle": Rag.amber, "yellow_circle": Rag.amber,
    "red_circle": Rag.red, "large_red_circle": Rag.red,
}
_WORDS = {"green": Rag.green, "amber": Rag.amber, "red": Rag.red}
_LETTERS = {"g": Rag.green, "a": Rag.amber, "r": Rag.red}

_DASHES = r"\-–—"  # escaped: used inside character classes
# What may follow a bare letter: a separator, or the end of the line.
_SEPARATOR = rf"[:.,;/|)\]{_DASHES}]"
_DECORATION = r"[\s*_~\[(]*"  # Slack bold/italic/strike and brackets around the rating
_PREFIX = re.compile(r"^\s*(?:rag(?:\s+(?:status|rating))?|status|rating)\s*[:=\-–—]?\s*",
                     re.IGNORECASE)
_SHORTCODE = re.compile(r"^:([a-z_]+):(?::skin-tone-\d:)?", re.IGNORECASE)
_WORD = re.compile(r"^(green|amber|red)(?![a-z0-9])", re.IGNORECASE)
# Closing mrkdwn marks may sit between the letter and its separator: "*G* - done".
_LETTER = re.compile(rf"^([gar])(?=[*_~]*[ \t]*(?:{_SEPARATOR}|\n|$))", re.IGNORECASE)
_AFTER_RATING = re.compile(rf"^[\s*_~)\]{_DASHES}:.,;/|]*")


def _take_rating(text: str) -> tuple[Rag | None, str]:
    """The rating at the start of ``text`` and what follows it."""
    rest = re.sub(rf"^{_DECORATION}", "", text)
    prefixed = _PREFIX.match(rest)
    if prefixed and prefixed.end() > 0:
        candidate = re.sub(rf"^{_DECORATION}", "", rest[prefixed.end():])
        rag, after = _rating_token(candidate)
        if rag is not None:
            return rag, after
    return _rating_token(rest)


def _rating_token(text: str) -> tuple[Rag | None, str]:
    rag: Rag | None = None
    end = 0
    if text[:1] in _EMOJI:
        rag, end = _EMOJI[text[0]], 1
        if text[1:2] == "\ufe0f":  # variation selector
            end = 2
    elif (match := _SHORTCODE.match(text)) and match[1].lower() in _SHORTCODES:
        rag, end = _SHORTCODES[match[1].lower()], match.end()
    elif match := _WORD.match(text):
        rag, end = _WORDS[match[1].lower()], match.end()
    elif match := _LETTER.match(text):
        rag, end = _LETTERS[match[1].lower()], match.end()
    if rag is None:
        return None, text
    rest = text[end:]
    return rag, rest[_AFTER_RATING.match(rest).end():]


# ------------------------------------------------------------------------------ labelled lines

_LABELS = {
    "recovery action": "recovery_action", "recovery": "recovery_action",
    "action": "recovery_action", "actions": "recovery_action",
    "recovery date": "recovery_date", "expected by": "recovery_date", "expected": "recovery_date",
    "by": "recovery_date", "due": "recovery_date", "due by": "recovery_date",
    "reason for change": "change_reason", "change reason": "change_reason",
    "reason": "change_reason",
}
_LABEL_NAMES = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in _LABELS),
                              key=len, reverse=True))
# A label starts a line, or follows the end of a sentence on the same line.
_LABEL = re.compile(rf"(?:^|(?<=[.;!?])[ \t]+)[*_]*({_LABEL_NAMES})[*_]*[ \t]*:[*_]*[ \t]*",
                    re.IGNORECASE | re.MULTILINE)


def _split_labels(text: str) -> tuple[str, dict[str, str]]:
    """The unlabelled text, and the labelled values (the first of each kind wins)."""
    found: dict[str, str] = {}
    matches = list(_LABEL.finditer(text))
    if not matches:
        return text, found
    pieces = [text[: matches[0].start()]]
    for index, match in enumerate(matches):
        stop = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        chunk = text[match.end(): stop]
        value, newline, remainder = chunk.partition("\n")
        field = _LABELS[" ".join(match[1].lower().split())]
        value = value.strip()
        if value and field not in found:
            found[field] = value
        if newline:
            pieces.append("\n" + remainder)
    return "".join(pieces), found


# ------------------------------------------------------------------------------ the reply

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^<>|\s]+)(?:\|([^<>]*))?>")


def slack_to_plain(text: str) -> str:
    """Undo Slack's message encoding (``&amp;``, ``&lt;``, ``&gt;`` and ``<url|label>``
    links) so the stored narrative is what the person typed; it is escaped again wherever
    it is shown. Mentions such as ``<@U123>`` are kept."""
    def link(match: re.Match[str]) -> str:
        url, label = match[1], (match[2] or "").strip()
        shown = url.removeprefix("mailto:")
        return shown if not label or label == shown else f"{label} ({shown})"

    text = _SLACK_LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_reply(text: str) -> ParsedReply:
    """Read a thread reply: pass the Slack event's ``text`` as it arrives (Slack-encoded).
    Never raises (a hypothesis test holds it to that)."""
    text = slack_to_plain(str(text or ""))
    body, labels = _split_labels(text.replace("\r\n", "\n").replace("\r", "\n"))
    rag, narrative = _take_rating(body.lstrip())
    narrative = "\n".join(line.rstrip() for line in narrative.strip().splitlines()).strip()
    date_text = labels.get("recovery_date")
    recovery_date = parse_date(date_text) if date_text else None
    return ParsedReply(
        rag=rag,
        narrative=narrative,
        recovery_action=labels.get("recovery_action"),
        recovery_date=recovery_date,
        change_reason=labels.get("change_reason"),
        recovery_date_text=date_text if date_text and recovery_date is None else None,
    )


def problems_for(
    parsed: ParsedReply,
    rules: Rules | Mapping[str, Any] | None,
    previous_rag: Rag | None,
    *,
    today: date | None = None,
) -> dict[str, str]:
    """Field → message for what the reply lacks or gets wrong
    (``bot.collection.rules.check_update``)."""
    return check_update(
        rules,
        rag=parsed.rag,
        previous_rag=previous_rag,
        narrative=parsed.narrative,
        recovery_action=parsed.recovery_action,
        recovery_date=parsed.recovery_date_text or parsed.recovery_date,
        change_reason=parsed.change_reason,
        today=today,
    )


def missing_for(
    parsed: ParsedReply,
    rules: Rules | Mapping[str, Any] | None,
    previous_rag: Rag | None,
    *,
    today: date | None = None,
) -> list[str]:
    """The fields (``rag``, ``narrative``, ``recovery_action``, ``recovery_date``,
    ``change_reason``) still missing or wrong, in that order; empty when it may be saved."""
    return list(problems_for(parsed, rules, previous_rag, today=today))
