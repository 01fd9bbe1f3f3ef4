"""The update form (a modal) and the small views around it.

The form is opened in two steps because a ``trigger_id`` works once and only for 3 seconds:
``loading_view`` goes to ``views.open`` at once, ``update_form`` replaces it (``views.update``)
after the database work. Pre-filled values never block submission: a narrative longer than the
limit is cut, and a recovery date already in the past is not pre-filled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.collection.rules import NARRATIVE_MAX, TEXT_MAX, reason_hint, recovery_hint
from bot.collection.submissions import FormFacts, FormValues, form_checks
from bot.collection.values import Rag
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.carried import carried_blocks
from handlers.slack.blocks.ids import (
    FIELD_ACTION,
    NOTICE_MODAL,
    UPDATE_MODAL,
    FormMetadata,
    form_metadata,
)
from handlers.slack.blocks.text import deliverable_name, where
from handlers.slack.blocks.words import day, quote, rag_label, rag_word

TITLE = "Quarterly update"
RAG_ORDER = (Rag.red, Rag.amber, Rag.green)  # the order of the rating options


def loading_view(meta: FormMetadata | None = None) -> dict[str, Any]:
    return mrkdwn.modal(
        TITLE, [mrkdwn.section(":hourglass_flowing_sand: Loading the form…")],
        callback_id=UPDATE_MODAL, close="Cancel",
        private_metadata_value=form_metadata(meta) if meta else "",
    )


def notice_view(text: str, *, title: str = "Ragtime") -> dict[str, Any]:
    """A modal that only says something (``text`` is mrkdwn, escaped by the caller)."""
    return mrkdwn.modal(title, [mrkdwn.section(text)], callback_id=NOTICE_MODAL, close="Close")


def update_form(meta: FormMetadata, form: FormFacts) -> dict[str, Any]:
    """The update form for ``form`` (what ``bot.collection.submissions.update_form_for``
    found), carrying ``meta`` (deliverable, period, prompt) in its private metadata."""
    period = meta.target.period
    heading = [f"*{period.label}* · {where(form.theme, form.area)}",
               deliverable_name(form.number, form.title)]
    lines = [f"Deadline: {day(form.deadline)}"]
    if form.carried is None:
        lines.insert(0, f"Last quarter: {rag_label(form.previous_rag)}")
    if form.current_version:
        lines.append(f"Saving makes version {form.current_version + 1}; the latest counts")
    blocks: list[dict[str, Any]] = [mrkdwn.section("\n".join(heading)),
                                    mrkdwn.context(" · ".join(lines))]
    if form.carried is not None:
        blocks += carried_blocks(form.carried, with_deadline=False, limit=1500)
    if form.previous_narrative:
        blocks.append(mrkdwn.section(
            f"*Last quarter's update*\n{quote(form.previous_narrative, 1500)}"))
    blocks.append(mrkdwn.divider())
    initial = form.initial
    rag = initial.rag or form.previous_rag
    blocks.append(_input(
        "rag", "RAG rating", _select(rag),
        hint="Red: off track · Amber: at risk · Green: on track",
    ))
    blocks.append(_input(
        "narrative", "Narrative: progress this quarter",
        _text_input(initial.narrative, NARRATIVE_MAX,
                    "What has happened this quarter, in a few sentences"),
        hint=f"Up to {NARRATIVE_MAX:,} characters; it goes into the board report as written.",
    ))
    blocks.append(_input(
        "recovery_action", "Recovery action", _text_input(initial.recovery_action, TEXT_MAX,
                                                          "What will bring it back on track?"),
        optional=True, hint=recovery_hint(form.rules),
    ))
    picker: dict[str, Any] = {"type": "datepicker", "action_id": FIELD_ACTION,
                              "placeholder": mrkdwn.plain("Expected date")}
    if initial.recovery_date and initial.recovery_date >= form.today:
        picker["initial_date"] = initial.recovery_date.isoformat()
    blocks.append(_input("recovery_date", "Expected recovery date", picker, optional=True,
                         hint=recovery_hint(form.rules)))
    blocks.append(_input(
        "change_reason", "Reason for change",
        _text_input(initial.change_reason, TEXT_MAX, "Why has the rating changed?"),
        optional=True, hint=reason_hint(form.rules, form.previous_rag),
    ))
    # The rules travel with the form: its submission is checked before its ack without a read.
    carried = replace(meta, checks=form_checks(form))
    return mrkdwn.modal(TITLE, blocks, callback_id=UPDATE_MODAL, submit="Submit",
                        close="Cancel", private_metadata_value=form_metadata(carried))


def read_form(values: dict[str, Any]) -> FormValues:
    """The entered values from ``view.state.values`` (block id → action id → element)."""
    def element(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(FIELD_ACTION)
        return found if isinstance(found, dict) else {}

    def text(block: str) -> str | None:
        value = element(block).get("value")
        return value if isinstance(value, str) and value.strip() else None

    chosen = element("rag").get("selected_option") or {}
    return FormValues(
        rag=chosen.get("value") if isinstance(chosen, dict) else None,
        narrative=text("narrative") or "",
        recovery_action=text("recovery_action"),
        recovery_date=element("recovery_date").get("selected_date") or None,
        change_reason=text("change_reason"),
    )


# ------------------------------------------------------------------------------ helpers

def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id,
                             "label": mrkdwn.plain(label, mrkdwn.INPUT_LABEL_LIMIT),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = mrkdwn.plain(hint, mrkdwn.INPUT_LABEL_LIMIT)
    return block


def _select(initial: Rag | None) -> dict[str, Any]:
    options = [mrkdwn.option(rag_word(rag), rag.value) for rag in RAG_ORDER]
    select: dict[str, Any] = {"type": "static_select", "action_id": FIELD_ACTION,
                              "placeholder": mrkdwn.plain("Choose a rating"),
                              "options": options}
    if initial is not None:
        select["initial_option"] = next(o for o in options if o["value"] == Rag(initial).value)
    return select


def _text_input(initial: str | None, limit: int, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": FIELD_ACTION,
                               "multiline": True, "max_length": limit,
                               "placeholder": mrkdwn.plain(placeholder,
                                                           mrkdwn.PLACEHOLDER_LIMIT)}
    if initial:
        element["initial_value"] = mrkdwn.truncate(initial, limit)
    return element
