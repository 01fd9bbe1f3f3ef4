"""A framework's governance rules for updates, as configured in its file.

A framework's ``rules`` dict (``Framework.rules``) may set::

    recovery_required_for: [red, amber]   # ratings that need a recovery action and date
    reason_required_on_change: true       # a rating that differs from last quarter's needs a reason

Those are the defaults. The same dict also holds ``calendar`` (``bot.calendar.round_calendar``),
which is not read here. ``bot.collection.rules.check_update`` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.models import Rag

DEFAULT_RULES: dict[str, Any] = {
    "recovery_required_for": ["red", "amber"],
    "reason_required_on_change": True,
}
# Keys of Framework.rules owned by other modules and ignored here.
_OTHER_KEYS = frozenset({"calendar"})

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
