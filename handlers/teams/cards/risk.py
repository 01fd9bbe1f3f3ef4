"""The BAF risk return in Teams: the prompt card is also the form (as the update card is), the
confirmation, and the reminder.

The card shows what Slack's modal and the web form show: the risk, last quarter's score, the
target and appetite, the deadline; likelihood and consequence chosen from the 5×5 grid's words
(the score is their product, never typed); the rationale, controls and their gaps, assurances
by line of defence (positive and negative, one per line of text) and a few action rows (what,
owner, date, deliverable reference). *Submit return* and *No change this quarter* are
``Action.Execute`` verbs answered in the invoke response (``handlers.teams.risk_invoke``): the
rules of ``bot.collection.risk_rules`` put their messages beside the fields they are about.
The card's data names only the risk and the period, never who.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from bot.collection.risk_returns import RiskEntry
from bot.collection.risk_rules import LINES, TEXT_MAX, ReturnFields
from bot.framework.baf import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS
from bot.words import day
from handlers.teams.cards.build import heading, note, plain

SUBMIT_RISK_VERB = "submit_risk_return"
NO_CHANGE_VERB = "risk_no_change"
OPEN_RISK_VERB = "open_risk_return"  # a reminder's button: the card becomes the risk's form
RISK_VERBS = frozenset({SUBMIT_RISK_VERB, NO_CHANGE_VERB, OPEN_RISK_VERB})
KINDS = ("positive", "negative")
MIN_ACTION_ROWS, MAX_ACTION_ROWS = 3, 6
ATTENTION = "Attention"


def risk_data(risk_id: int, period: Period) -> dict[str, Any]:
    """What the card sends back besides the inputs: which risk and quarter (never who)."""
    return {"risk_id": risk_id, "period": period.label}


def risk_name(number: object, title: object) -> str:
    return f"BAF {number} {' '.join(str(title or '').split())}".strip()


def facts_line(previous: object, target: object, appetite: object) -> str:
    parts = [f"Last quarter: {previous if previous is not None else 'no score'}",
             f"Target: {target if target is not None else 'not set'}"]
    if appetite:
        parts.append(f"Appetite: {APPETITE_WORDS.get(str(appetite), str(appetite))}")
    return " · ".join(parts)


def risk_card(risk_id: int, period: Period, entry: RiskEntry, *, deadline: object = None,
              entered: ReturnFields | None = None, errors: Mapping[str, str] | None = None,
              refusal: str | None = None) -> AdaptiveCard:
    """The prompt and form, pre-filled with ``entered`` (after a refusal), else this quarter's
    latest return, else last quarter's; ``errors``: the rules' messages by field."""
    risk, facts = entry.risk, entry.facts
    errors = errors or {}
    values = entered or entry.draft.fields()
    context = facts_line(facts.previous_score, facts.target, facts.appetite)
    if facts.target_date:
        context += f" · Target date {day(facts.target_date)}"
    if deadline:
        context += f" · Due {day(deadline)}"
    body: list[CardElement] = [
        heading(f"{period.label} BAF risk return"),
        plain(risk_name(risk.number, risk.title), weight="Bolder"),
        plain(risk.theme, is_subtle=True),
        note(context),
    ]
    if entry.draft.from_period and entered is None:
        body.append(note(f"Pre-filled from {entry.draft.from_period}."))
    if entry.current is not None:
        body.append(note(f"Version {entry.current.version} is saved; submitting makes version "
                         f"{entry.current.version + 1}."))
        if entry.current.rationale:
            body += [note("Saved rationale"), plain(entry.current.rationale)]
    if refusal:
        body.append(plain(refusal, color=ATTENTION, weight="Bolder"))
    body += [_grade("likelihood", "Likelihood", LIKELIHOODS, values.likelihood),
             *_error(errors, "likelihood"),
             _grade("consequence", "Consequence", CONSEQUENCES, values.consequence),
             *_error(errors, "consequence"),
             note("The score is likelihood × consequence."),
             _text("rationale", "Rationale for the score", values.rationale,
                   "Why this score? Required when it changed from last quarter."),
             *_error(errors, "rationale"),
             _text("controls", "Key controls", values.controls, "What is in place"),
             *_error(errors, "controls"),
             _text("control_gaps", "Gaps in control", values.control_gaps, ""),
             *_error(errors, "control_gaps"),
             heading("Assurances"),
             note("One per line of text, by line of defence."),
             *_error(errors, "assurances")]
    assurances = list(values.assurances)
    for line in LINES:
        for kind in KINDS:
            typed = "\n".join(str(a.get("text") or "") for a in assurances
                              if a.get("line") == line and a.get("kind") == kind)
            body.append(_text(f"assure_{line}_{kind}", f"{line.capitalize()} line: {kind}",
                              typed, "One assurance per line"))
    body += [_text("assurance_gaps", "Gaps in assurance", values.assurance_gaps, ""),
             *_error(errors, "assurance_gaps"),
             heading("Actions"),
             note("What will bring the score to its target; name a deliverable by its "
                  "reference (GO-3) to link it."),
             *_error(errors, "actions")]
    actions = list(values.actions)
    while actions and not any(actions[-1].get(key) for key in ("text", "owner", "due",
                                                                "deliverable")):
        actions.pop()  # the empty rows after the last one filled in
    rows = min(MAX_ACTION_ROWS, max(MIN_ACTION_ROWS, len(actions) + 1))
    for index in range(1, rows + 1):
        action = actions[index - 1] if index <= len(actions) else {}
        due = action.get("due")
        body += [
            _text(f"action_{index}_text", f"Action {index}", str(action.get("text") or ""),
                  "What will be done", multiline=False),
            _text(f"action_{index}_owner", f"Action {index}: owner",
                  str(action.get("owner") or ""), "Who", multiline=False),
            DateInput(id=f"action_{index}_due", label=f"Action {index}: date",
                      value=(due.isoformat() if hasattr(due, "isoformat")
                             else str(due)) if due else None),
            _text(f"action_{index}_deliverable", f"Action {index}: deliverable ref",
                  str(action.get("deliverable") or ""), "e.g. GO-3", multiline=False,
                  limit=20),
        ]
    data = risk_data(risk_id, period)
    return AdaptiveCard(body=body, actions=[
        ExecuteAction(title="Submit return", verb=SUBMIT_RISK_VERB, data=data,
                      associated_inputs="auto"),
        ExecuteAction(title="No change this quarter", verb=NO_CHANGE_VERB, data=data,
                      associated_inputs="none")])


def read_risk_inputs(data: Mapping[str, Any]) -> ReturnFields:
    """What was entered, from an ``Action.Execute``'s ``data`` (the inputs merged in)."""
    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) else ""

    assurances = [{"line": line, "kind": kind, "text": item.strip()}
                  for line in LINES for kind in KINDS
                  for item in text(f"assure_{line}_{kind}").splitlines() if item.strip()]
    actions = [{"text": text(f"action_{index}_text"), "owner": text(f"action_{index}_owner"),
                "due": text(f"action_{index}_due") or None,
                "deliverable": text(f"action_{index}_deliverable") or None}
               for index in range(1, MAX_ACTION_ROWS + 1)]
    return ReturnFields(
        likelihood=text("likelihood") or None, consequence=text("consequence") or None,
        rationale=text("rationale"), controls=text("controls"),
        control_gaps=text("control_gaps"), assurances=assurances,
        assurance_gaps=text("assurance_gaps"), actions=actions)


def risk_confirmation_card(*, period: Period, number: object, title: object, score: int,
                           likelihood: int, consequence: int, version: int, unchanged: bool,
                           flags: tuple[str, ...] = ()) -> AdaptiveCard:
    how = "No change confirmed" if unchanged else "Return received"
    body: list[CardElement] = [
        heading(f"{period.label} BAF risk: {how.lower()}"),
        plain(risk_name(number, title), weight="Bolder"),
        note(f"Score {score} (likelihood {likelihood} {LIKELIHOODS[likelihood].lower()} × "
             f"consequence {consequence} {CONSEQUENCES[consequence].lower()}) · version "
             f"{version}"),
    ]
    body += [plain(flag, color="Warning") for flag in flags]
    body.append(plain("Saved. Thank you.", is_subtle=True))
    return AdaptiveCard(body=body)


def risk_reminder_card(payload: Mapping[str, Any]) -> AdaptiveCard:
    """The risks still to return, each with a button that turns this card into its form
    (someone who added Ragtime after the round opened has no prompt card to answer on)."""
    items = list(payload.get("risks") or [])
    period = Period.parse(str(payload["period"]))
    body: list[CardElement] = [
        heading(f"Reminder: {period.label} BAF risk returns"),
        note(f"Still to come from you ({len(items)}), due {day(payload.get('deadline'))}."),
    ]
    body += [plain(risk_name(item.get("number", ""), item.get("title", ""))) for item in items]
    actions = [ExecuteAction(title=f"Return BAF {item.get('number', '')}", verb=OPEN_RISK_VERB,
                             data=risk_data(int(item["risk_id"]), period))
               for item in items[:5]]  # Teams shows a few actions per card
    return AdaptiveCard(body=body, actions=actions or None)


# ------------------------------------------------------------------------------ helpers

def _grade(ident: str, label: str, names: Mapping[int, str], value: object) -> ChoiceSetInput:
    chosen = str(value).strip() if value not in (None, "") else None
    return ChoiceSetInput(
        id=ident, label=label, style="compact", is_required=True,
        error_message=f"Choose the {ident}.", placeholder="Choose",
        choices=[Choice(title=f"{number} {word}", value=str(number))
                 for number, word in names.items()],
        value=chosen)


def _text(ident: str, label: str, value: str, placeholder: str, *, multiline: bool = True,
          limit: int = TEXT_MAX) -> TextInput:
    return TextInput(id=ident, label=label, is_multiline=multiline, max_length=limit,
                     placeholder=placeholder or None, value=value[:limit] or None)


def _error(errors: Mapping[str, str], field: str) -> list[CardElement]:
    message = errors.get(field)
    return [plain(message, color=ATTENTION, spacing="None")] if message else []
