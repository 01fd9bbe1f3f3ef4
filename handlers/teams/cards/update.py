"""The prompt card, which in Teams is also the update form: the deliverable, last quarter's
rating and narrative, and the inputs (RAG, narrative, recovery action and date, reason for a
change) with the rules' hints; ``Action.Execute`` (verb ``submit_update``) sends it back.
The reminder lists what is still to come, each with a button (verb ``open_update``) that turns
the reminder into that deliverable's form.

After a refused submission the same card comes back with what was entered and each rule's
message beside its field; after a stored one, the confirmation card replaces it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    DateInput,
    ExecuteAction,
    TextInput,
)

from bot.calendar.periods import Period
from bot.collection.rules import NARRATIVE_MAX, TEXT_MAX, reason_hint, recovery_hint
from bot.collection.submissions import FormFacts, FormValues
from bot.collection.values import Rag, Target
from bot.ports.updates import Carried
from bot.words import day, rag_word
from handlers.teams.cards.build import heading, note, plain

SUBMIT_VERB = "submit_update"
OPEN_VERB = "open_update"  # a reminder's button: the card becomes the deliverable's form
RAG_ORDER = (Rag.red, Rag.amber, Rag.green)
ATTENTION = "Attention"


def target_data(target: Target) -> dict[str, Any]:
    """What the card sends back besides the inputs: which deliverable and period (never who)."""
    return {"deliverable_id": target.deliverable_id, "period": target.period.label}


def update_card(target: Target, form: FormFacts, *, entered: FormValues | None = None,
                errors: Mapping[str, str] | None = None, refusal: str | None = None,
                title: str | None = None, request: Sequence[CardElement] = ()
                ) -> AdaptiveCard:
    """``title`` and ``request``: another heading, and what comes before the form under the
    deliverable's name (a lead's request for changes, ``handlers.teams.cards.reprompt``)."""
    errors = errors or {}
    body: list[CardElement] = [
        heading(title or f"{target.period.label} update"),
        plain(_name(form.number, form.title), weight="Bolder"),
        plain(" · ".join(part for part in (form.theme, form.area) if part), is_subtle=True),
        *request,
    ]
    if form.carried is not None:
        body += _carried(form.carried, form.deadline)
    else:
        body.append(note(f"Last quarter: {rag_word(form.previous_rag)} · "
                         f"Deadline: {day(form.deadline)}"))
    if form.previous_narrative:
        body += [note("Last quarter's update"), plain(form.previous_narrative)]
    if form.current_version:
        by = f" by {form.current_by}" if form.current_by else ""
        body.append(plain(f"Version {form.current_version} was saved{by}; submitting makes "
                          f"version {form.current_version + 1} (the latest counts).",
                          is_subtle=True))
    if refusal:
        body.append(plain(refusal, color=ATTENTION, weight="Bolder"))
    initial = _initial(form, entered)
    rag = initial["rag"]
    body.append(ChoiceSetInput(
        id="rag", label="RAG rating", style="expanded", is_required=True,
        error_message="Choose a RAG rating: Red, Amber or Green.",
        choices=[Choice(title=rag_word(item), value=item.value) for item in RAG_ORDER],
        value=rag or None))
    body += _error(errors, "rag")
    body.append(note("Red: off track · Amber: at risk · Green: on track"))
    body.append(TextInput(
        id="narrative", label="Narrative: progress this quarter", is_multiline=True,
        max_length=NARRATIVE_MAX, is_required=True,
        error_message="Write a short narrative: what has happened this quarter.",
        placeholder="What has happened this quarter, in a few sentences",
        value=initial["narrative"] or None))
    body += _error(errors, "narrative")
    body.append(TextInput(id="recovery_action", label="Recovery action", is_multiline=True,
                          max_length=TEXT_MAX, placeholder=recovery_hint(form.rules),
                          value=initial["recovery_action"] or None))
    body += _error(errors, "recovery_action")
    body.append(DateInput(id="recovery_date", label="Expected recovery date",
                          min=form.today.isoformat(), value=initial["recovery_date"] or None))
    body += _error(errors, "recovery_date")
    body.append(TextInput(id="change_reason", label="Reason for change", is_multiline=True,
                          max_length=TEXT_MAX,
                          placeholder=reason_hint(form.rules, form.previous_rag),
                          value=initial["change_reason"] or None))
    body += _error(errors, "change_reason")
    return AdaptiveCard(body=body, actions=[ExecuteAction(
        title="Submit update", verb=SUBMIT_VERB, data=target_data(target),
        associated_inputs="auto")])


def read_inputs(data: Mapping[str, Any]) -> FormValues:
    """The entered values from an ``Action.Execute``'s ``data`` (inputs merged in by Teams)."""
    def text(name: str) -> str | None:
        value = data.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return FormValues(rag=text("rag"), narrative=text("narrative") or "",
                      recovery_action=text("recovery_action"),
                      recovery_date=text("recovery_date"), change_reason=text("change_reason"))


def confirmation_card(target: Target, *, number: str, title: str, rag: Rag, narrative: str,
                      version: int, by: str, at: datetime | None) -> AdaptiveCard:
    when = f" on {day(at.date())}" if at else ""
    return AdaptiveCard(body=[
        heading(f"{target.period.label} update received"),
        plain(_name(number, title), weight="Bolder"),
        note(f"{rag_word(rag)} · version {version}{when}", color=_colour(rag)),
        plain(narrative),
        plain(f"Saved for {by}. Thank you." if by else "Saved. Thank you.", is_subtle=True),
    ])


def notice_card(text: str, *, title: str = "Ragtime") -> AdaptiveCard:
    return AdaptiveCard(body=[heading(title), plain(text)])


# ------------------------------------------------------------------------------ helpers

def _name(number: str, title: str) -> str:
    return f"{number} {title}".strip()


def _carried(carried: Carried, deadline: date | None) -> list[CardElement]:
    """Carried on from an earlier framework: its last update there, where last quarter's would
    be (the framework's name and the narrative are plain text, never Markdown)."""
    where_from = f" ({carried.period})" if carried.period else ""
    shown: list[CardElement] = [
        plain(f"Carried from {carried.source}: its last update there{where_from}",
              weight="Bolder"),
        note(f"Rating there: {rag_word(carried.rag)} · Deadline: {day(deadline)}")]
    if carried.narrative:
        shown.append(plain(carried.narrative))
    return shown


def _initial(form: FormFacts, entered: FormValues | None) -> dict[str, str]:
    if entered is not None:
        return {"rag": entered.rag or "", "narrative": entered.narrative,
                "recovery_action": entered.recovery_action or "",
                "recovery_date": entered.recovery_date or "",
                "change_reason": entered.change_reason or ""}
    draft = form.initial
    rag = draft.rag or form.previous_rag
    recovery: date | None = draft.recovery_date
    return {"rag": Rag(rag).value if rag else "", "narrative": draft.narrative or "",
            "recovery_action": draft.recovery_action or "",
            "recovery_date": recovery.isoformat() if recovery and recovery >= form.today
            else "",
            "change_reason": draft.change_reason or ""}


def _error(errors: Mapping[str, str], field: str) -> list[CardElement]:
    message = errors.get(field)
    return [plain(message, color=ATTENTION, spacing="None")] if message else []


def _colour(rag: Rag) -> str:
    return {Rag.red: "Attention", Rag.amber: "Warning", Rag.green: "Good"}.get(rag, "Default")


def reminder_card(payload: Mapping[str, Any]) -> AdaptiveCard:
    """The deliverables still to update, each with a button that turns this card into its
    form (someone who added Ragtime after the round opened has no prompt card to answer on)."""
    items = list(payload.get("deliverables") or [])
    period = Period.parse(str(payload["period"]))
    body: list[CardElement] = [
        heading(f"Reminder: {period.label} updates"),
        note(f"Still to come from you ({len(items)}), due {day(payload.get('deadline'))}."),
    ]
    body += [plain(f"{item.get('number', '')} {item.get('title', '')}".strip())
             for item in items]
    actions = [ExecuteAction(title=f"Update {item.get('number', '')}".strip(), verb=OPEN_VERB,
                             data=target_data(Target(int(item["id"]), period)))
               for item in items[:5] if item.get("id") is not None]  # Teams shows a few
    return AdaptiveCard(body=body, actions=actions or None)
