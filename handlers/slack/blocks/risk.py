"""Every Block Kit builder of the BAF risk return: the prompt card, the return form (a modal),
the confirmation and the reminder, and the ids that tie them to their listeners.

A button value and the form's private metadata only name the risk and the period
(``{"r": 12, "p": "2024-25-Q3"}``); who may return it is decided from the verified user
(``bot.collection.risk_flows``). Likelihood and consequence are chosen from the 5×5 grid's
descriptors, so the score is computed, never typed. Assurances are entered per line of defence
(first, second, third) as positive and negative, one per line of text; actions in a few rows of
what / owner / date / deliverable reference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.risk_returns import RiskEntry
from bot.collection.risk_rules import LINES, TEXT_MAX, ReturnFields
from bot.framework.baf import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import FIELD_ACTION, ID_MAX, BadValue
from handlers.slack.blocks.text import Message
from handlers.slack.blocks.words import day, esc, quote

RISK_MODAL = "risk_return"
OPEN_RISK = "open_risk_return"
OPEN_RISK_ACTIONS = re.compile(r"^open_risk_return(_\d+)?$")  # the prompt's and a reminder's
RISK_NO_CHANGE = "risk_no_change"
RISK_CARD = "baf_risk"  # the block id that marks a risk prompt card
TITLE = "BAF risk return"
MIN_ACTION_ROWS, MAX_ACTION_ROWS = 3, 6
ASSURANCE_KINDS = ("positive", "negative")


@dataclass(frozen=True)
class RiskTarget:
    risk_id: int
    period: Period


def risk_value(risk_id: int, period: Period) -> str:
    return json.dumps({"r": risk_id, "p": period.slug}, separators=(",", ":"))


def parse_risk_value(value: str | None) -> RiskTarget:
    """The risk and period a button value or the form's metadata names (``BadValue`` if
    Ragtime did not write it)."""
    try:
        data = json.loads(value or "")
        risk_id, period = data["r"], Period.parse(str(data["p"]))
    except (ValueError, TypeError, KeyError, PeriodError):
        raise BadValue("not a risk value") from None
    if not isinstance(risk_id, int) or isinstance(risk_id, bool) or not 0 < risk_id <= ID_MAX:
        raise BadValue("not a risk id")
    return RiskTarget(risk_id, period)


def _risk_name(number: str, title: str) -> str:
    return f"*BAF {esc(number)}* {esc(mrkdwn.truncate(' '.join(title.split()), 600))}"


def _facts(previous: object, target: object, appetite: object, carried_from: object = None
           ) -> str:
    """``Last quarter: 12 (Step Up To Great BAF 01) · Target: 8 · Appetite: Cautious`` (the
    name when last quarter's score is the risk's it carries on; plain text, escaped by the
    caller)."""
    last = f"{previous if previous is not None else 'no score'}"
    if carried_from:
        last += f" (carried from {' '.join(str(carried_from).split())})"
    parts = [f"Last quarter: {last}",
             f"Target: {target if target is not None else 'not set'}"]
    if appetite:
        parts.append(f"Appetite: {APPETITE_WORDS.get(str(appetite), str(appetite))}")
    return " · ".join(parts)


# ------------------------------------------------------------------------------ messages

def risk_prompt_message(payload: Mapping[str, Any]) -> Message:
    """The DM asking an owner for one risk's return, with its two buttons."""
    period = Period.parse(str(payload["period"]))
    value = risk_value(int(payload["risk_id"]), period)
    blocks = [
        mrkdwn.section(f"*{esc(period.label)} BAF risk return* · {esc(payload.get('theme'))}\n"
                       + _risk_name(str(payload["number"]), str(payload["title"])),
                       block_id=RISK_CARD),
        mrkdwn.context(esc(_facts(payload.get("previous_score"), payload.get("target"),
                                  payload.get("appetite"), payload.get("carried_from")))
                       + f" · Due {day(payload.get('deadline'))}"),
        mrkdwn.actions(mrkdwn.button("Return this risk", OPEN_RISK, value, style="primary"),
                       mrkdwn.button("No change this quarter", RISK_NO_CHANGE, value)),
    ]
    text = (f"{period.label}: please return BAF risk {payload['number']} "
            f"by {day(payload.get('deadline'))}")
    return Message(text, blocks)


def risk_reminder_message(payload: Mapping[str, Any]) -> Message:
    period = Period.parse(str(payload["period"]))
    lines = [f"• {_risk_name(str(item['number']), str(item['title']))}"
             for item in payload["risks"]]
    blocks = [mrkdwn.section(f"*Reminder:* your {esc(period.label)} BAF risk return is due "
                             f"{day(payload.get('deadline'))} for:"),
              *mrkdwn.sections("\n".join(lines))]
    blocks += [mrkdwn.actions(
        mrkdwn.button(f"Return BAF {item['number']}", f"{OPEN_RISK}_{index}",
                      risk_value(int(item["risk_id"]), period)))
        for index, item in enumerate(payload["risks"][:20])]
    return Message(f"Reminder: {len(payload['risks'])} BAF risk return(s) due for "
                   f"{period.label}", blocks)


def risk_confirmation_message(payload: Mapping[str, Any]) -> Message:
    """What the owner is told once their return is stored."""
    how = "No change confirmed" if payload.get("unchanged") else "Return received"
    name = _risk_name(str(payload["number"]), str(payload["title"]))
    lines = [f":white_check_mark: *{how}* for {name}",
             f"Score *{payload['score']}* (likelihood {payload['likelihood']} "
             f"{LIKELIHOODS[int(payload['likelihood'])].lower()} × consequence "
             f"{payload['consequence']} {CONSEQUENCES[int(payload['consequence'])].lower()})"
             f" · version {payload.get('version', 1)}"]
    flags = [f":warning: {esc(flag)}" for flag in payload.get("flags") or ()]
    blocks = [mrkdwn.section("\n".join(lines))]
    if flags:
        blocks.append(mrkdwn.section("\n".join(flags)))
    return Message(f"{how}: BAF risk {payload['number']}, score {payload['score']}", blocks)


# ------------------------------------------------------------------------------ the form

def risk_loading_view() -> dict[str, Any]:
    return mrkdwn.modal(TITLE, [mrkdwn.section(":hourglass_flowing_sand: Loading the form…")],
                        callback_id=RISK_MODAL, close="Cancel")


def risk_form(target: RiskTarget, entry: RiskEntry) -> dict[str, Any]:
    """The return form, pre-filled with this quarter's latest return, else last quarter's."""
    risk, draft, facts = entry.risk, entry.draft, entry.facts
    heading = (f"*{esc(target.period.label)}* · {esc(risk.theme)}\n"
               + _risk_name(risk.number, risk.title))
    context = _facts(facts.previous_score, facts.target, facts.appetite, facts.carried_from)
    if facts.target_date:
        context += f" · Target date {day(facts.target_date)}"
    if draft.from_period:
        context += f" · Pre-filled from {draft.from_period}"
    if entry.current is not None:
        context += f" · Saving makes version {entry.current.version + 1}"
    blocks: list[dict[str, Any]] = [mrkdwn.section(heading), mrkdwn.context(esc(context))]
    if entry.current is not None and entry.current.rationale:
        blocks.append(mrkdwn.section(f"*Saved rationale*\n{quote(entry.current.rationale, 800)}"))
    blocks.append(mrkdwn.divider())
    blocks.append(_input("likelihood", "Likelihood", _grade_select(LIKELIHOODS,
                                                                    draft.likelihood)))
    blocks.append(_input("consequence", "Consequence", _grade_select(CONSEQUENCES,
                                                                      draft.consequence),
                         hint="The score is likelihood × consequence."))
    blocks.append(_input("rationale", "Rationale for the score",
                         _text(entry.current.rationale if entry.current else "", "Why this "
                               "score? Required when it changed from last quarter."),
                         optional=True))
    blocks.append(_input("controls", "Key controls", _text(draft.controls, "What is in place"),
                         optional=True))
    blocks.append(_input("control_gaps", "Gaps in control", _text(draft.control_gaps, ""),
                         optional=True))
    blocks.append(mrkdwn.section("*Assurances* — one per line of text, by line of defence"))
    for line in LINES:
        for kind in ASSURANCE_KINDS:
            texts = "\n".join(a.text for a in draft.assurances
                              if a.line == line and a.kind == kind)
            blocks.append(_input(f"assure_{line}_{kind}",
                                 f"{line.capitalize()} line: {kind}",
                                 _text(texts, "One assurance per line"), optional=True))
    blocks.append(_input("assurance_gaps", "Gaps in assurance",
                         _text(draft.assurance_gaps, ""), optional=True))
    blocks.append(mrkdwn.section("*Actions* — what will bring the score to its target; name a "
                                 "deliverable by its reference (GO-3) to link it"))
    rows = min(MAX_ACTION_ROWS, max(MIN_ACTION_ROWS, len(draft.actions) + 1))
    for index in range(1, rows + 1):
        action = draft.actions[index - 1] if index <= len(draft.actions) else None
        blocks.append(_input(f"action_{index}_text", f"Action {index}",
                             _text(action.text if action else "", "What will be done",
                                   multiline=False), optional=True))
        blocks.append(_input(f"action_{index}_owner", f"Action {index}: owner",
                             _text(action.owner if action else "", "Who", multiline=False),
                             optional=True))
        picker: dict[str, Any] = {"type": "datepicker", "action_id": FIELD_ACTION}
        if action and action.due:
            picker["initial_date"] = action.due.isoformat()
        blocks.append(_input(f"action_{index}_due", f"Action {index}: date", picker,
                             optional=True))
        blocks.append(_input(f"action_{index}_deliverable", f"Action {index}: deliverable ref",
                             _text(action.deliverable or "" if action else "", "e.g. GO-3",
                                   multiline=False, limit=20), optional=True))
    return mrkdwn.modal(TITLE, blocks, callback_id=RISK_MODAL, submit="Submit", close="Cancel",
                        private_metadata_value=risk_value(target.risk_id, target.period))


def read_risk_form(values: Mapping[str, Any]) -> ReturnFields:
    """What was entered, from ``view.state.values``."""
    def element(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(FIELD_ACTION)
        return found if isinstance(found, dict) else {}

    def text(block: str) -> str:
        value = element(block).get("value")
        return value.strip() if isinstance(value, str) else ""

    def chosen(block: str) -> str | None:
        option = element(block).get("selected_option")
        return option.get("value") if isinstance(option, dict) else None

    assurances = [{"line": line, "kind": kind, "text": item.strip()}
                  for line in LINES for kind in ASSURANCE_KINDS
                  for item in text(f"assure_{line}_{kind}").splitlines() if item.strip()]
    actions = []
    for index in range(1, MAX_ACTION_ROWS + 1):
        if f"action_{index}_text" not in values:
            break
        actions.append({"text": text(f"action_{index}_text"),
                        "owner": text(f"action_{index}_owner"),
                        "due": element(f"action_{index}_due").get("selected_date") or None,
                        "deliverable": text(f"action_{index}_deliverable") or None})
    return ReturnFields(
        likelihood=chosen("likelihood"), consequence=chosen("consequence"),
        rationale=text("rationale"), controls=text("controls"),
        control_gaps=text("control_gaps"), assurances=assurances,
        assurance_gaps=text("assurance_gaps"), actions=actions)


def risk_form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """The rules' messages keyed by the form's block ids."""
    blocks = {"assurances": "assure_first_positive", "actions": "action_1_text"}
    return {blocks.get(name, name): message for name, message in errors.items()}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id,
                             "label": mrkdwn.plain(label, mrkdwn.INPUT_LABEL_LIMIT),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = mrkdwn.plain(hint, mrkdwn.INPUT_LABEL_LIMIT)
    return block


def _grade_select(names: Mapping[int, str], initial: int | None) -> dict[str, Any]:
    options = [mrkdwn.option(f"{number} {word}", str(number)) for number, word in names.items()]
    select: dict[str, Any] = {"type": "static_select", "action_id": FIELD_ACTION,
                              "placeholder": mrkdwn.plain("Choose"), "options": options}
    if initial in names:
        select["initial_option"] = options[int(initial) - 1]  # type: ignore[arg-type]
    return select


def _text(initial: str | None, placeholder: str, *, multiline: bool = True,
          limit: int = TEXT_MAX) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": FIELD_ACTION,
                               "multiline": multiline, "max_length": limit}
    if placeholder:
        element["placeholder"] = mrkdwn.plain(placeholder, mrkdwn.PLACEHOLDER_LIMIT)
    if initial:
        element["initial_value"] = mrkdwn.truncate(initial, limit)
    return element
