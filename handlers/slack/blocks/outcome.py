"""The outcome request (a DM in the closure round) and the outcome form (a modal).

The request shows the deliverable and the SRO's last update beside a button that opens the
form. The button value and the form's ``private_metadata`` only name the deliverable
(``{"o": id}``); who may set its outcome is decided by ``bot.collection.outcomes`` from the
signed request's user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.collection.outcomes import (
    OUTCOME_HINTS,
    OUTCOME_WORDS,
    REASON_MAX,
    OutcomeEntry,
    OutcomeFacts,
)
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import FIELD_ACTION, BadValue, load_object, record_id
from handlers.slack.blocks.text import Message, deliverable_name
from handlers.slack.blocks.words import esc, esc_line, quote, rag_label

OPEN_OUTCOME = "open_outcome"  # the request's button
OUTCOME_MODAL = "outcome_modal"  # the form's callback_id (and its loading view's)
REQUEST_BLOCK = "outcome_request"  # the block that marks a request message
OUTCOME_FIELDS = ("outcome", "target", "reason")
TITLE = "Outcome at closure"
OPTIONS_MAX = 100  # Slack's limit on a select's options, all groups together


@dataclass(frozen=True)
class RequestFacts:
    """What the request message says (``facts`` read when it is sent)."""

    framework: str
    final_year: str
    facts: OutcomeFacts


def outcome_value(deliverable_id: int) -> str:
    return json.dumps({"o": deliverable_id}, separators=(",", ":"))


def parse_outcome_value(value: str | None) -> int:
    """The deliverable a button value or the form's metadata names; ``BadValue`` otherwise."""
    data = load_object(value)
    deliverable_id = record_id(data.get("o"))
    if deliverable_id is None or isinstance(data.get("o"), str):
        raise BadValue("no deliverable id")
    return deliverable_id


def request_message(request: RequestFacts) -> Message:
    facts = request.facts
    name = deliverable_name(facts.number, facts.title)
    blocks: list[dict[str, Any]] = [
        mrkdwn.section(f"*{esc_line(request.framework)} is closing* ({esc(request.final_year)} "
                       f"is its final year). What became of this deliverable?",
                       block_id=REQUEST_BLOCK),
        mrkdwn.section(f"{name}\n_{esc_line(facts.theme)}_"),
        mrkdwn.section(_last_update(facts)),
    ]
    if facts.current is not None:
        blocks.append(mrkdwn.context(f"Recorded: *{esc(facts.current.sentence())}* "
                                     f"(version {facts.current.version})"))
    blocks.append(mrkdwn.context(" · ".join(
        f"*{word}*: {hint}" for word, hint in zip(OUTCOME_WORDS.values(),
                                                    OUTCOME_HINTS.values(), strict=True))))
    blocks.append(mrkdwn.actions(mrkdwn.button(
        "Change outcome" if facts.current else "Record outcome", OPEN_OUTCOME,
        outcome_value(facts.deliverable_id), style="primary")))
    text = (f"{request.framework} is closing: what became of "
            f"{facts.number} {facts.title}?".replace("  ", " "))
    return Message(text=mrkdwn.truncate(text, 3000), blocks=blocks)


def _last_update(facts: OutcomeFacts) -> str:
    last = facts.last_update
    if last is None:
        return "*Your last update*: none yet. Answer the final quarter's prompt too."
    narrative = quote(last.narrative, 1500) if last.narrative.strip() else "_(no narrative)_"
    return f"*Your last update* ({esc(last.period)}): {rag_label(last.rag)}\n{narrative}"


def loading_view() -> dict[str, Any]:
    return mrkdwn.modal(TITLE, [mrkdwn.section(":hourglass_flowing_sand: Loading the form…")],
                        callback_id=OUTCOME_MODAL, close="Cancel")


def outcome_form(facts: OutcomeFacts) -> dict[str, Any]:
    """The form for ``facts``, pre-filled with the current outcome."""
    current = facts.current
    blocks: list[dict[str, Any]] = [
        mrkdwn.section(f"*{esc_line(facts.framework)}* · {esc(facts.final_year)} closure\n"
                       f"{deliverable_name(facts.number, facts.title)}"),
        mrkdwn.section(_last_update(facts)),
        mrkdwn.divider(),
    ]
    options = [mrkdwn.option(word, kind, OUTCOME_HINTS[kind])
               for kind, word in OUTCOME_WORDS.items()]
    chooser: dict[str, Any] = {"type": "radio_buttons", "action_id": FIELD_ACTION,
                               "options": options}
    if current is not None:
        chooser["initial_option"] = next(o for o in options if o["value"] == current.kind)
    blocks.append(_input("outcome", "Outcome", chooser))
    groups, room = [], OPTIONS_MAX
    for group in facts.targets:
        options = [mrkdwn.option(choice.label, str(choice.id))
                   for choice in group.choices[:room]]
        if options:
            groups.append({"label": mrkdwn.plain(group.framework, mrkdwn.OPTION_TEXT_LIMIT),
                           "options": options})
            room -= len(options)
    if groups:
        target: dict[str, Any] = {"type": "static_select", "action_id": FIELD_ACTION,
                                  "placeholder": mrkdwn.plain("Choose a deliverable"),
                                  "option_groups": groups}
        chosen = [o for g in groups for o in g["options"]
                  if current is not None and o["value"] == str(current.target_id)]
        if chosen:
            target["initial_option"] = chosen[0]
        blocks.append(_input("target", "Carried forward to / merged into", target,
                             optional=True,
                             hint="Needed when carried forward (a deliverable of the new "
                                  "framework) or merged."))
    reason: dict[str, Any] = {"type": "plain_text_input", "action_id": FIELD_ACTION,
                              "multiline": True, "max_length": REASON_MAX,
                              "placeholder": mrkdwn.plain("Why, in a sentence or two")}
    if current is not None and current.reason:
        reason["initial_value"] = mrkdwn.truncate(current.reason, REASON_MAX)
    blocks.append(_input("reason", "Reason or note", reason, optional=True,
                         hint="Needed when stopped; it goes into the closure report."))
    return mrkdwn.modal(TITLE, blocks, callback_id=OUTCOME_MODAL, submit="Save",
                        close="Cancel",
                        private_metadata_value=outcome_value(facts.deliverable_id))


def read_outcome_form(values: dict[str, Any]) -> OutcomeEntry:
    """What was entered, from ``view.state.values``."""
    def element(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(FIELD_ACTION)
        return found if isinstance(found, dict) else {}

    def chosen(block: str) -> str | None:
        option = element(block).get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return value if isinstance(value, str) else None

    reason = element("reason").get("value")
    return OutcomeEntry(outcome=chosen("outcome"), target=chosen("target"),
                        reason=reason if isinstance(reason, str) else None)


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id,
                             "label": mrkdwn.plain(label, mrkdwn.INPUT_LABEL_LIMIT),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = mrkdwn.plain(hint, mrkdwn.INPUT_LABEL_LIMIT)
    return block
