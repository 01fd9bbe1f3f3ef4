"""Action ids, callback ids and the values carried by buttons and modals.

A button value or a modal's ``private_metadata`` only *names* what it is about (a deliverable and
a period, plus an optional draft to pre-fill the form). Both come back from Slack inside the signed
payload but are written by our own earlier message, so they are re-checked on use: the acting user
is always ``body["user"]["id"]`` and ``bot.framework.permissions`` decides. A value that does not
parse is refused with ``BadValue``. ``Target`` and ``Draft`` are ``bot.collection.values``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.submissions import FormChecks
from bot.collection.values import Draft, Rag, Target
from bot.framework.rules import Rules, RulesError
from handlers.slack.blocks.kit import BUTTON_VALUE_LIMIT, ELLIPSIS, PRIVATE_METADATA_LIMIT

# Buttons that open the update form: the prompt's "Submit update", reminders, the App Home, and
# the Red/Amber/Green buttons under a thread reply ("open_update:amber").
OPEN_UPDATE = "open_update"
OPEN_UPDATE_ACTIONS = re.compile(r"^open_update(?::[a-z_]+)?$")
OPEN_ROUND = "open_round"  # App Home: a governance lead opens the period's round
UPDATE_MODAL = "update_modal"  # callback_id of the update form (and its loading view)
NOTICE_MODAL = "ragtime_notice"  # a modal that only tells the person something

# Form blocks: the block id of each field is the field name used by bot.collection.rules.
FIELD_BLOCKS = ("rag", "narrative", "recovery_action", "recovery_date", "change_reason")
FIELD_ACTION = "value"


ID_MAX = 2**31 - 1  # database ids are 32-bit integers (PostgreSQL refuses a larger one)


class BadValue(ValueError):
    """A button value or private_metadata that Ragtime did not write (or an old format)."""


@dataclass(frozen=True)
class UpdateRequest:
    """A click on an update button: what it is for, a draft, and the prompt it answers."""

    target: Target
    draft: Draft | None = None
    prompt_ts: str | None = None  # the prompt message the button belongs to (a hint only)


@dataclass(frozen=True)
class FormMetadata:
    """The update form's ``private_metadata``."""

    target: Target
    prompt_channel: str | None = None
    prompt_ts: str | None = None
    from_home: bool = False
    checks: FormChecks | None = None  # the filled form's rules, checked before its ack


# ------------------------------------------------------------------------------ button values

def update_button_value(
    target: Target, *, draft: Draft | None = None, prompt_ts: str | None = None
) -> str:
    """``{"d": 12, "p": "2024-25-Q3"}``, plus the draft trimmed to fit Slack's 2,000."""
    data: dict[str, Any] = {"d": target.deliverable_id, "p": target.period.slug}
    if prompt_ts:
        data["t"] = prompt_ts
    if draft is None:
        return _dump(data)
    return _fit(data, draft, BUTTON_VALUE_LIMIT)


def parse_update_button(value: str | None) -> UpdateRequest:
    data = load_object(value)
    draft = None
    if any(key in data for key in ("r", "n", "ra", "rd", "cr")):
        draft = Draft(
            rag=_rag(data.get("r")),
            narrative=_text(data.get("n")) or "",
            recovery_action=_text(data.get("ra")),
            recovery_date=_date(data.get("rd")),
            change_reason=_text(data.get("cr")),
        )
    return UpdateRequest(target=_target(data), draft=draft, prompt_ts=_text(data.get("t")))


def open_round_value(period: Period, framework: str | None = None) -> str:
    """The period (``2024-25-Q3``), and the framework's name when several are in focus."""
    if framework is None:
        return period.slug
    value = _dump({"p": period.slug, "f": framework})
    if len(value) > BUTTON_VALUE_LIMIT:
        raise BadValue("framework name too long for a button")
    return value


def parse_open_round_value(value: str | None) -> Period:
    return parse_open_round_target(value)[0]


def parse_open_round_target(value: str | None) -> tuple[Period, str | None]:
    """The period an open-round button names, and the framework (None: the only one)."""
    text = str(value or "")
    framework = None
    if text.startswith("{"):
        data = load_object(text)
        text, framework = str(data.get("p") or ""), _text(data.get("f"))
    try:
        return Period.parse(text), framework
    except PeriodError:
        raise BadValue(f"not a period: {value!r}") from None


# ------------------------------------------------------------------------------ form metadata

def form_metadata(meta: FormMetadata) -> str:
    data: dict[str, Any] = {"d": meta.target.deliverable_id, "p": meta.target.period.slug}
    if meta.prompt_channel and meta.prompt_ts:
        data["c"], data["t"] = meta.prompt_channel, meta.prompt_ts
    if meta.from_home:
        data["h"] = 1
    if meta.checks is not None:
        data["k"] = {"r": sorted(rag.value for rag in meta.checks.rules.recovery_required_for),
                     "c": meta.checks.rules.reason_required_on_change,
                     "p": meta.checks.previous_rag.value if meta.checks.previous_rag else None}
    value = _dump(data)
    if len(value) > PRIVATE_METADATA_LIMIT:  # only ids: cannot happen, but never send it cut
        raise BadValue("private_metadata too long")
    return value


def parse_form_metadata(value: str | None) -> FormMetadata:
    data = load_object(value)
    return FormMetadata(
        target=_target(data),
        prompt_channel=_text(data.get("c")),
        prompt_ts=_text(data.get("t")),
        from_home=data.get("h") == 1,
        checks=_checks(data.get("k")),
    )


def _checks(value: Any) -> FormChecks | None:
    """A form's ``FormChecks``; None when absent or unreadable (they are then read again)."""
    if not isinstance(value, dict) or not isinstance(value.get("r"), list):
        return None
    try:
        rules = Rules.from_config({"recovery_required_for": value["r"],
                                   "reason_required_on_change": value.get("c") is True})
    except RulesError:
        return None
    return FormChecks(rules=rules, previous_rag=_rag(value.get("p")))


# ------------------------------------------------------------------------------ helpers

def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def record_id(value: object) -> int | None:
    """A database id as Ragtime writes it (a JSON number, or digits in a button value): a
    positive integer in the database's range; anything else is None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX:
        return value
    return None


def load_object(value: str | None) -> dict[str, Any]:
    """The JSON object a button value or private_metadata carries; ``BadValue`` otherwise
    (not JSON, not an object, nested too deep to read)."""
    try:
        data = json.loads(value or "")
    except (TypeError, ValueError, RecursionError):
        raise BadValue("not a Ragtime value") from None
    if not isinstance(data, dict):
        raise BadValue("not a Ragtime value")
    return data


def _target(data: dict[str, Any]) -> Target:
    deliverable_id = record_id(data.get("d"))
    if deliverable_id is None or isinstance(data.get("d"), str):
        raise BadValue("no deliverable id")
    try:
        period = Period.parse(str(data.get("p") or ""))
    except PeriodError:
        raise BadValue("no period") from None
    return Target(deliverable_id=deliverable_id, period=period)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _rag(value: Any) -> Rag | None:
    try:
        return Rag(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _draft_fields(draft: Draft) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draft.rag is not None:
        fields["r"] = draft.rag.value
    if draft.narrative:
        fields["n"] = draft.narrative
    if draft.recovery_action:
        fields["ra"] = draft.recovery_action
    if draft.recovery_date is not None:
        fields["rd"] = draft.recovery_date.isoformat()
    if draft.change_reason:
        fields["cr"] = draft.change_reason
    return fields


def _fit(base: dict[str, Any], draft: Draft, limit: int) -> str:
    """The value with the draft's longest texts cut (ending in …) until it fits ``limit``."""
    def value_with(candidate: Draft) -> str:
        return _dump({**base, **_draft_fields(candidate)})

    for name in ("narrative", "recovery_action", "change_reason"):
        value = value_with(draft)
        if len(value) <= limit:
            return value
        text: str = getattr(draft, name) or ""
        low, high = 0, len(text)  # the longest prefix that fits, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            cut = text[:middle].rstrip() + ELLIPSIS
            if len(value_with(replace(draft, **{name: cut}))) <= limit:
                low = middle
            else:
                high = middle - 1
        draft = replace(draft, **{name: text[:low].rstrip() + ELLIPSIS if low else ""})
    value = value_with(draft)
    if len(value) > limit:  # ids and a date only: cannot happen
        raise BadValue("button value too long")
    return value
