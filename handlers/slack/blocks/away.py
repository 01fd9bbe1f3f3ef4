"""The absence form: the Home tab's *Record an absence* button and the modal it opens.

Who is away and who covers are Slack user pickers; the form never carries who is filling it
in (that is the signed request's user). Leave "Who is away" empty to record your own absence;
naming someone else is for governance leads (``bot.collection.away`` checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.framework.absences import AbsenceView
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import FIELD_ACTION
from handlers.slack.blocks.text import Message
from handlers.slack.blocks.words import day, esc

AWAY_OPEN = "away_open"  # the Home tab button
AWAY_MODAL = "away_modal"  # callback_id of the form
NOTE_MAX = 500


def away_button() -> dict[str, Any]:
    return mrkdwn.section(
        ":palm_tree: Going on leave? Record it so Ragtime does not chase you meanwhile, and name "
        "who covers for you (or write to me: `away 4–15 Aug, cover Sarah Willis`).",
        accessory=mrkdwn.button("Record an absence", AWAY_OPEN, "away"), block_id="away")


def own_absence(absence: AbsenceView) -> dict[str, Any]:
    """The viewer's own absence on their Home tab, with how to undo it."""
    return mrkdwn.section(
        f":palm_tree: You are recorded {esc(absence.describe())}. Ragtime does not chase you "
        "then. To cancel it, write to me `away cancel`.", block_id="away")


def status_question(payload: dict[str, Any]) -> Message:
    """The question asked when someone's Slack status says they are away."""
    until = payload.get("until")
    status = esc(str(payload.get("status") or ""))
    lines = [f":palm_tree: Your Slack status says you are away ({status}"
             + (f", until {day(until)}" if until else "") + ").",
             "Shall I record an absence, so Ragtime does not chase you meanwhile, and who "
             f"covers for you? Reply e.g. `{esc(str(payload.get('example') or 'away'))}, cover "
             "<name>` or press the button. If you are not away, ignore this: nothing is "
             "recorded unless you say so."]
    blocks = [mrkdwn.section("\n".join(lines), block_id="status_question",
                             accessory=mrkdwn.button("Record an absence", AWAY_OPEN, "away"))]
    return Message("Your Slack status says you are away: shall I record an absence?", blocks)


def away_modal() -> dict[str, Any]:
    def picker(placeholder: str) -> dict[str, Any]:
        return {"type": "datepicker", "action_id": FIELD_ACTION,
                "placeholder": mrkdwn.plain(placeholder)}

    def user(placeholder: str) -> dict[str, Any]:
        return {"type": "users_select", "action_id": FIELD_ACTION,
                "placeholder": mrkdwn.plain(placeholder)}

    blocks = [
        _input("starts", "First day away", picker("From")),
        _input("ends", "Last day away", picker("To (inclusive)")),
        _input("cover", "Who covers", user("Choose who answers for you"), optional=True,
               hint="They are prompted for your updates while you are away and may submit "
                    "them on your behalf. Leave empty for no cover."),
        _input("note", "Note for the governance team",
               {"type": "plain_text_input", "action_id": FIELD_ACTION,
                "max_length": NOTE_MAX}, optional=True),
        _input("person", "Who is away", user("Yourself"), optional=True,
               hint="Leave empty for yourself. Governance leads may record anyone's absence."),
    ]
    return mrkdwn.modal("Record an absence", blocks, callback_id=AWAY_MODAL, submit="Record",
                        close="Cancel")


@dataclass(frozen=True)
class AwayForm:
    starts: date | None
    ends: date | None
    cover: str | None  # a Slack user id
    person: str | None  # a Slack user id; None: the person filling it in
    note: str


def read_away_form(values: dict[str, Any]) -> AwayForm:
    """The entered values from ``view.state.values`` (block id → action id → element)."""
    def element(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(FIELD_ACTION)
        return found if isinstance(found, dict) else {}

    def day(block: str) -> date | None:
        try:
            return date.fromisoformat(str(element(block).get("selected_date") or ""))
        except ValueError:
            return None

    def who(block: str) -> str | None:
        chosen = element(block).get("selected_user")
        return chosen if isinstance(chosen, str) and chosen else None

    note = element("note").get("value")
    return AwayForm(starts=day("starts"), ends=day("ends"), cover=who("cover"),
                    person=who("person"), note=note if isinstance(note, str) else "")


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id,
                             "label": mrkdwn.plain(label, mrkdwn.INPUT_LABEL_LIMIT),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = mrkdwn.plain(hint, mrkdwn.INPUT_LABEL_LIMIT)
    return block
