"""Governance rules checked when an update is entered, configurable per framework.

A framework's ``rules`` dict (``Framework.rules``) may set::

    recovery_required_for: [red, amber]   # ratings that need a recovery action and date
    reason_required_on_change: true       # a rating that differs from last quarter's needs a reason

Those are the defaults. The same dict also holds ``calendar`` (see ``bot.calendar.round_calendar``),
which is not checked here. ``check_update`` is the one place these rules are applied: the
modal, the thread-reply parser (``bot.collection.replies.missing_for``) and ``bot.collection.updates`` all ask it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from storage.models import Rag

NARRATIVE_MAX = 3000
TEXT_MAX = 3000  # recovery action and change reason
DEFAULT_RULES: dict[str, Any] = {
    "recovery_required_for": ["red", "amber"],
    "reason_required_on_change": True,
}
# Keys of Framework.rules owned by other modules and ignored here.
_OTHER_KEYS = frozenset({"calendar"})

FIELDS = ("rag", "narrative", "recovery_action", "recovery_date", "change_reason")


class RulesError(ValueError):
    """A framework rule that cannot be used; the message names it."""


@dataclass(frozen=True)
class Rules:
    recovery_required_for: frozenset[Rag] = frozenset({Rag.red, Rag.amber})
    reason_required_on_change: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Rules:
        """Rules from a framework's ``rules`` dict; missing keys keep the defaults."""
        config = dict(config or {})
        unknown = sorted(set(config) - set(DEFAULT_RULES) - _OTHER_KEYS)
        if unknown:
            known = ", ".join([*DEFAULT_RULES, *sorted(_OTHER_KEYS)])
            raise RulesError(f"unknown rule(s) {', '.join(unknown)} (known rules: {known})")
        ratings = config.get("recovery_required_for", DEFAULT_RULES["recovery_required_for"])
        if isinstance(ratings, str):
            ratings = [ratings]
        try:
            required = frozenset(Rag(str(item).strip().lower()) for item in ratings)
        except (ValueError, TypeError):
            raise RulesError(
                f"recovery_required_for: {ratings!r} must list ratings from red, amber, green"
            ) from None
        reason = config.get("reason_required_on_change", True)
        if not isinstance(reason, bool):
            raise RulesError(f"reason_required_on_change: {reason!r} must be true or false")
        return cls(recovery_required_for=required, reason_required_on_change=reason)

    def needs_recovery(self, rag: Rag | None) -> bool:
        return rag is not None and rag in self.recovery_required_for

    def needs_reason(self, rag: Rag | None, previous_rag: Rag | None) -> bool:
        return (
            self.reason_required_on_change
            and rag is not None
            and previous_rag is not None
            and Rag(previous_rag) != rag
        )


def as_rules(rules: Rules | Mapping[str, Any] | None) -> Rules:
    return rules if isinstance(rules, Rules) else Rules.from_config(rules)


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
    ``today`` defaults to the local date; a recovery date before it is refused.
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
    return errors


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
        from bot.collection.replies import parse_date  # one date grammar for modal text and replies

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
