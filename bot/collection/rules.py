"""Governance rules applied when an update is entered.

A framework configures its ``Rules`` (``bot.framework.rules``); ``check_update`` is the one
place they are applied: the modal, the thread-reply parser (``bot.collection.replies``) and
``bot.collection.updates`` all ask it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.collection.dates import parse_date
from bot.collection.storable import unstorable
from bot.framework.rules import Rules, as_rules
from bot.words import rag_word
from storage.models import Rag

NARRATIVE_MAX = 3000
TEXT_MAX = 3000  # recovery action and change reason

FIELDS = ("rag", "narrative", "recovery_action", "recovery_date", "change_reason")
_NAMES = {"rag": "The rating", "narrative": "The narrative",
          "recovery_action": "The recovery action", "recovery_date": "The recovery date",
          "change_reason": "The reason for the change"}


def recovery_hint(rules: Rules) -> str:
    """What a form says beside the recovery action and date (the rule ``check_update``
    applies)."""
    ratings = [rag_word(rag) for rag in (Rag.red, Rag.amber, Rag.green)
               if rag in rules.recovery_required_for]
    if not ratings:
        return "Optional."
    return f"Required with a {' or '.join(ratings)} rating."


def reason_hint(rules: Rules, previous: Rag | None) -> str:
    """What a form says beside the reason for a change, given last quarter's rating."""
    if not rules.reason_required_on_change or previous is None:
        return "Optional."
    return f"Required if the rating differs from last quarter's ({rag_word(previous)})."


def check_update(
    rules: Rules | Mapping[str, Any] | None,
    *,
    rag: Rag | str | None,
    previous_rag: Rag | str | None,
    narrative: str | None,
    recovery_action: str | None,
    recovery_date: date | str | None,
    change_reason: str | None,
    today: date | None = None,
) -> dict[str, str]:
    """Field name → message for the person entering the update; empty means it may be saved.

    ``previous_rag`` is last quarter's rating of the deliverable (``None`` if there was none).
    ``recovery_date`` may be a ``date`` or text such as ``2024-12-31`` or ``31/12/2024``.
    ``today`` defaults to the local date; a recovery date before it is refused. Text that
    cannot be stored (``bot.collection.storable``) is refused whatever else the rules say.
    """
    rules = as_rules(rules)
    errors: dict[str, str] = {}
    rating = _rating(rag)
    if rating is None:
        errors["rag"] = (
            "Choose a RAG rating: Red, Amber or Green."
            if rag in (None, "")
            else f"'{rag}' is not a RAG rating; choose Red, Amber or Green."
        )
    before = _rating(previous_rag)

    text = (narrative or "").strip()
    if not text:
        errors["narrative"] = "Write a short narrative: what has happened this quarter."
    elif len(text) > NARRATIVE_MAX:
        errors["narrative"] = (
            f"The narrative is {len(text):,} characters; the limit is {NARRATIVE_MAX:,}. "
            "Please shorten it."
        )

    action = (recovery_action or "").strip()
    if rules.needs_recovery(rating) and not action:
        errors["recovery_action"] = (
            f"{_a_rating(rating)} needs a recovery action: "
            "what will bring it back on track?"
        )
    elif len(action) > TEXT_MAX:
        errors["recovery_action"] = f"The recovery action is over {TEXT_MAX:,} characters."

    date_error = _check_recovery_date(
        recovery_date, required=rules.needs_recovery(rating), rating=rating,
        today=today or date.today(),
    )
    if date_error:
        errors["recovery_date"] = date_error

    reason = (change_reason or "").strip()
    if rules.needs_reason(rating, before) and not reason:
        errors["change_reason"] = (
            f"The rating changed from {before.value.title()} last quarter to "
            f"{rating.value.title()}: give a reason for the change."
        )
    elif len(reason) > TEXT_MAX:
        errors["change_reason"] = f"The reason for the change is over {TEXT_MAX:,} characters."
    errors.update(_unstorable(rag=rag, narrative=narrative, recovery_action=recovery_action,
                              recovery_date=recovery_date, change_reason=change_reason))
    return errors


def _unstorable(**fields: object) -> dict[str, str]:
    """Field → message for text no database can hold (never quoting it back)."""
    found: dict[str, str] = {}
    for name, value in fields.items():
        problem = unstorable(value) if isinstance(value, str) else None
        if problem:
            found[name] = f"{_NAMES[name]} {problem}."
    return found


def _a_rating(rating: Rag) -> str:
    """``An amber rating`` / ``A red rating``: how the rules' messages name a rating."""
    article = "An" if rating.value[0] in "aeiou" else "A"
    return f"{article} {rating.value} rating"


def _rating(value: Rag | str | None) -> Rag | None:
    if value is None or isinstance(value, Rag):
        return value
    try:
        return Rag(str(value).strip().lower())
    except ValueError:
        return None


def _check_recovery_date(
    value: date | str | None, *, required: bool, rating: Rag | None, today: date
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required and rating is not None:
            return (
                f"{_a_rating(rating)} needs an expected recovery date: "
                "when will it be back on track?"
            )
        return None
    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed is None:
            return f"'{value.strip()}' is not a real date; write it like 31/12/2024."
        value = parsed
    if value < today:
        return (
            f"The recovery date {value:%d %b %Y} is in the past; "
            "give the date you now expect it to be back on track."
        )
    return None
