"""Block Kit builders on their own: Slack's limits, escaping, pre-filled values, value codecs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.collection.rules import Rules
from bot.collection.status import (
    HomePage,
    MyItem,
    OutstandingItem,
    OutstandingTheme,
    Progress,
    RoundState,
)
from bot.collection.submissions import FormChecks, FormFacts
from bot.collection.values import Draft, Rag, Target
from bot.ports.updates import PromptCard, Received
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.home import home_view
from handlers.slack.blocks.ids import (
    BadValue,
    FormMetadata,
    form_metadata,
    parse_form_metadata,
    parse_update_button,
    update_button_value,
)
from handlers.slack.blocks.modal import read_form, update_form
from handlers.slack.blocks.prompt import (
    ReminderItem,
    escalation_messages,
    prompt_message,
    reminder_messages,
)
from tests.scenario.conftest import Q3, blocks_text

LONDON = ZoneInfo("Europe/London")
HOSTILE = "Done <!channel> <!here> <@U0BOSS> <https://evil.example|click> & more"


def _message_json(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_user_text_is_escaped_in_a_received_prompt():
    card = PromptCard(
        target=Target(1, Q3), number="1", area="Access & <b>", title="Policy <!here>",
        theme="Great Outcomes", deadline=date(2025, 1, 15), previous_narrative=HOSTILE,
        received=Received(rag=Rag.green, narrative=HOSTILE, version=2, by="<@U0X>",
                          at=datetime(2024, 12, 20, 10, tzinfo=UTC)))

    message = prompt_message(card, LONDON)
    shown = _message_json(message.blocks) + message.text

    for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<https://", "<b>", "<@U0X>"):
        assert raw not in shown
    assert "&lt;!channel&gt;" in shown and "&amp; more" in shown


def test_a_very_long_narrative_fits_slacks_section_limit():
    card = PromptCard(target=Target(1, Q3), number="1", area="A", title="T", theme="Th",
                      deadline=None, previous_narrative="word " * 2000,
                      received=Received(rag=Rag.red, narrative="&" * 5000, version=1, by="",
                                        at=None))

    message = prompt_message(card, LONDON)

    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    shown = _message_json(message.blocks)
    assert "&a…" not in shown and "&am…" not in shown and "&amp…" not in shown  # entities whole


def test_a_reminder_for_many_deliverables_is_split_into_messages_of_50_blocks():
    items = [ReminderItem(Target(n, Q3), str(n), f"Deliverable {n}", "Area", "Theme")
             for n in range(1, 121)]

    messages = reminder_messages(Q3.label, "2025-01-15", items)

    assert len(messages) == 3
    assert all(len(message.blocks) <= 50 for message in messages)
    buttons = [b["accessory"]["value"] for m in messages for b in m.blocks if b.get("accessory")]
    assert [json.loads(value)["d"] for value in buttons] == list(range(1, 121))


def test_an_escalation_with_very_many_outstanding_fits_in_messages():
    themes = [OutstandingTheme(f"Theme {t}", tuple(
        OutstandingItem(str(n), "A long deliverable title " * 8, "Area", ("Sharon <!channel>",))
        for n in range(60))) for t in range(4)]

    messages = escalation_messages(Q3.label, "2025-01-15", total=300, answered=60, themes=themes)

    assert all(len(m.blocks) <= 50 for m in messages)
    assert all(len(b["text"]["text"]) <= 3000 for m in messages for b in m.blocks
               if b["type"] == "section")
    assert "<!channel>" not in _message_json([b for m in messages for b in m.blocks])


def test_the_home_tab_is_cut_to_100_blocks_with_a_note():
    items = [MyItem(Target(n, Q3), str(n), f"Deliverable {n}", "Area", "Theme", None, None, None)
             for n in range(1, 151)]
    state = RoundState(Q3, opened=True, closed=False, frozen=False, deadline=date(2025, 1, 15))
    progress = Progress(total=150, answered=0, themes=[("Theme", 0, 150)], outstanding=[
        OutstandingTheme(f"Theme {n}", (OutstandingItem("1", "T", "A", ("S",)),))
        for n in range(50)])

    view = home_view(HomePage(state=state, items=items, lead=True, progress=progress))

    assert len(view["blocks"]) <= 100
    assert "more" in blocks_text(view["blocks"][-3:])


def test_prefilled_values_never_block_submission():
    form = update_form(FormMetadata(Target(4, Q3)), FormFacts(
        number="4", title="T", area="A", theme="Th", deadline=None, rules=Rules(),
        today=date(2025, 4, 2),
        initial=Draft(rag=Rag.amber, narrative="x" * 5000, recovery_date=date(2025, 3, 31))))

    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert "initial_date" not in blocks["recovery_date"]["element"]  # since passed
    assert len(blocks["narrative"]["element"]["initial_value"]) <= 3000


def test_reading_the_submitted_form():
    values = read_form({
        "rag": {"value": {"type": "static_select", "selected_option": {"value": "red"}}},
        "narrative": {"value": {"type": "plain_text_input", "value": "Behind"}},
        "recovery_action": {"value": {"type": "plain_text_input", "value": "  "}},
        "recovery_date": {"value": {"type": "datepicker", "selected_date": "2025-02-01"}},
    })

    assert (values.rag, values.narrative, values.recovery_action, values.recovery_date,
            values.change_reason) == ("red", "Behind", None, "2025-02-01", None)


def test_a_draft_in_a_button_value_is_trimmed_to_fit_2000_characters():
    draft = Draft(rag=Rag.amber, narrative="é\n\"" * 3000, recovery_action="act",
                  recovery_date=date(2025, 3, 31))

    value = update_button_value(Target(7, Q3), draft=draft, prompt_ts="1700000000.000100")

    assert len(value) <= mrkdwn.BUTTON_VALUE_LIMIT
    request = parse_update_button(value)
    assert request.target == Target(7, Q3) and request.prompt_ts == "1700000000.000100"
    assert request.draft.rag == Rag.amber and request.draft.recovery_action == "act"
    assert request.draft.narrative.endswith("…")


@pytest.mark.parametrize("value", [None, "", "7", "[1]", '{"d": "7", "p": "2024-25-Q3"}',
                                   '{"d": 0, "p": "2024-25-Q3"}', '{"d": 7, "p": "Q9"}',
                                   '{"d": true, "p": "2024-25-Q3"}'])
def test_values_ragtime_did_not_write_are_refused(value):
    with pytest.raises(BadValue):
        parse_update_button(value)
    with pytest.raises(BadValue):
        parse_form_metadata(value)


def test_form_metadata_round_trips():
    meta = FormMetadata(Target(3, Q3), prompt_channel="D0X", prompt_ts="1.2", from_home=True)

    assert parse_form_metadata(form_metadata(meta)) == meta


@pytest.mark.parametrize("checks", [
    FormChecks(Rules(), Rag.amber),
    FormChecks(Rules(recovery_required_for=frozenset({Rag.red}),
                     reason_required_on_change=False), None),
    FormChecks(Rules(recovery_required_for=frozenset()), Rag.green),
])
def test_the_rules_a_form_was_filled_with_travel_in_its_metadata(checks: FormChecks):
    meta = FormMetadata(Target(3, Q3), checks=checks)

    assert parse_form_metadata(form_metadata(meta)) == meta


@pytest.mark.parametrize("carried", [None, "x", [], {"r": "red"}, {"r": ["purple"]},
                                     {"r": [{"a": 1}]}])
def test_rules_a_form_carries_unreadably_are_read_again(carried: object):
    value = json.dumps({"d": 3, "p": Q3.slug, "k": carried})

    assert parse_form_metadata(value).checks is None
