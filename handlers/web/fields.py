"""The form's fields: their names in the page and what was entered, per deliverable.

Every field is named ``d{deliverable id}-{field}`` (``d12-narrative``), which is also its
element id, so the error summary links straight to it. The deliverable ids read back are only
those the page showed (the person's own); anything else in the POST is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.collection.rules import FIELDS
from bot.collection.submissions import FormFacts, FormValues, errors_by_field

TEXT_FIELDS = ("narrative", "recovery_action", "recovery_date", "change_reason")


def field_id(deliverable_id: int, name: str) -> str:
    return f"d{deliverable_id}-{name}"


def read_entries(form: Mapping[str, str]) -> dict[int, FormValues]:
    """What was entered, by the deliverable id in the field names (``bot`` keeps only the
    person's own deliverables)."""
    ids = set()
    for name in form:
        head, _, rest = name.partition("-")
        if head[:1] == "d" and head[1:].isdigit() and rest in FIELDS and len(head) < 12:
            ids.add(int(head[1:]))
    entries = {}
    for deliverable_id in sorted(ids)[:500]:
        def value(name: str, did: int = deliverable_id) -> str:
            return (form.get(field_id(did, name)) or "")[:20_000]  # the rules say the limit

        entries[deliverable_id] = FormValues(
            rag=value("rag") or None, narrative=value("narrative"),
            recovery_action=value("recovery_action") or None,
            recovery_date=value("recovery_date") or None,
            change_reason=value("change_reason") or None)
    return entries


def shown_values(facts: FormFacts) -> dict[str, str]:
    """The fields as first shown: the current version, if there is one (a recovery date already
    past is left out, as in the Slack modal, so it does not block saving)."""
    initial = facts.initial
    recovery: date | None = initial.recovery_date
    return {
        "rag": initial.rag.value if initial.rag and facts.current_version else "",
        "narrative": initial.narrative or "",
        "recovery_action": initial.recovery_action or "",
        "recovery_date": recovery.strftime("%d/%m/%Y") if recovery and recovery >= facts.today
        else "",
        "change_reason": initial.change_reason or "",
    }


def entered_values(values: FormValues) -> dict[str, str]:
    """The fields as they were sent, to show again beside the errors."""
    return {"rag": (values.rag or "").strip().lower(), "narrative": values.narrative,
            "recovery_action": values.recovery_action or "",
            "recovery_date": values.recovery_date or "",
            "change_reason": values.change_reason or ""}


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Rule messages by the page's fields (``bot.collection.submissions.errors_by_field``)."""
    return errors_by_field(errors, FIELDS)
