from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.collection.dates import parse_date
from bot.collection.replies import ParsedReply, missing_for, parse_reply, problems_for
from storage.models import Rag

TODAY = date(2024, 10, 1)


@pytest.mark.parametrize(
    ("text", "rag", "narrative"),
    [
        ("Green - policy adopted", Rag.green, "policy adopted"),
        ("A: delayed by estates works", Rag.amber, "delayed by estates works"),
        ("amber. awaiting funding", Rag.amber, "awaiting funding"),
        (":large_green_circle: done", Rag.green, "done"),
        (":red_circle: recruitment paused", Rag.red, "recruitment paused"),
        (":large_orange_circle: slipping", Rag.amber, "slipping"),
        (":large_yellow_circle: slipping", Rag.amber, "slipping"),
        ("🟢 on track", Rag.green, "on track"),
        ("🟠 behind", Rag.amber, "behind"),
        ("🟡 behind", Rag.amber, "behind"),
        ("🔴 stopped", Rag.red, "stopped"),
        ("🟢\ufe0f on track", Rag.green, "on track"),
        ("G", Rag.green, ""),
        ("g.", Rag.green, ""),
        ("RAG: Amber – awaiting estates", Rag.amber, "awaiting estates"),
        ("rag status: red - no funding", Rag.red, "no funding"),
        ("R - no funding agreed", Rag.red, "no funding agreed"),
        ("Amber — delayed", Rag.amber, "delayed"),
        ("GREEN–complete", Rag.green, "complete"),
        ("  \n  Green - policy adopted  \n ", Rag.green, "policy adopted"),
        ("*Amber* - delayed", Rag.amber, "delayed"),
        ("[R] blocked", Rag.red, "blocked"),
        ("G\nThe policy was adopted.", Rag.green, "The policy was adopted."),
        ("Amber awaiting funding", Rag.amber, "awaiting funding"),
    ],
)
def test_rating_and_narrative(text, rag, narrative):
    parsed = parse_reply(text)
    assert (parsed.rag, parsed.narrative) == (rag, narrative)


@pytest.mark.parametrize(
    "text",
    [
        "Awaiting funding from the ICB",
        "Great progress this quarter",
        "Regrettably the work has slipped",
        "A delay in recruitment",
        "Greenfield site agreed",
        "Reddish",
        "Ambers",
        "Ragged edges",
        "RAG: awaiting",
        ":white_check_mark: done",
        "",
        "   ",
    ],
)
def test_words_that_only_start_with_the_letters_are_not_ratings(text):
    parsed = parse_reply(text)
    assert parsed.rag is None
    assert parsed.narrative == text.strip()


def test_labelled_lines():
    parsed = parse_reply(
        "Amber - estates works delayed the refit.\n"
        "The contractor has been replaced.\n"
        "Recovery: new contractor on site\n"
        "By: 31/12/2024\n"
        "Reason: was Green last quarter; the contractor went into administration"
    )
    assert parsed == ParsedReply(
        rag=Rag.amber,
        narrative="estates works delayed the refit.\nThe contractor has been replaced.",
        recovery_action="new contractor on site",
        recovery_date=date(2024, 12, 31),
        change_reason="was Green last quarter; the contractor went into administration",
    )


def test_labels_on_one_line_and_alternative_names():
    parsed = parse_reply("R - no funding. Action: escalate to ICB. Expected: December 2024")
    assert parsed.rag == Rag.red
    assert parsed.narrative == "no funding."
    assert parsed.recovery_action == "escalate to ICB."
    assert parsed.recovery_date == date(2024, 12, 31)


def test_label_words_inside_a_sentence_stay_in_the_narrative():
    parsed = parse_reply("Green - delivered by the estates team due to good planning")
    assert parsed.narrative == "delivered by the estates team due to good planning"
    assert parsed.recovery_date is None


def test_an_unreadable_date_is_kept_for_the_message():
    parsed = parse_reply("Red - stalled\nRecovery: re-tender\nDue: 31/02/2025")
    assert parsed.recovery_date is None
    assert parsed.recovery_date_text == "31/02/2025"
    problems = problems_for(parsed, None, None, today=TODAY)
    assert problems == {"recovery_date": "'31/02/2025' is not a real date; write it like "
                                         "31/12/2024."}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2024", date(2024, 12, 31)),
        ("1/2/25", date(2025, 2, 1)),
        ("2024-12-31", date(2024, 12, 31)),
        ("31 Dec 2024", date(2024, 12, 31)),
        ("31st December 2024", date(2024, 12, 31)),
        ("December 31, 2024", date(2024, 12, 31)),
        ("December 2024", date(2024, 12, 31)),
        ("Feb 2024", date(2024, 2, 29)),
        ("end of March 2025", date(2025, 3, 31)),
        ("by 30 Sept 2025", date(2025, 9, 30)),
        ("Q3 2024/25", date(2024, 12, 31)),
        ("31/02/2024", None),
        ("13/13/2024", None),
        ("soon", None),
        ("Smarch 2024", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_missing_for_names_exactly_what_is_missing():
    assert missing_for(parse_reply("Green - done"), None, None, today=TODAY) == []
    assert missing_for(parse_reply("Amber - delayed"), None, None, today=TODAY) == [
        "recovery_action", "recovery_date"]
    assert missing_for(parse_reply("Amber - delayed"), None, Rag.green, today=TODAY) == [
        "recovery_action", "recovery_date", "change_reason"]
    assert missing_for(parse_reply("delayed"), None, None, today=TODAY) == ["rag"]
    assert missing_for(parse_reply("G"), None, None, today=TODAY) == ["narrative"]
    red_only = {"recovery_required_for": ["red"]}
    assert missing_for(parse_reply("A - delayed"), red_only, Rag.amber, today=TODAY) == []


_pieces = st.sampled_from([
    "Green", "amber", "RED", "G", "A", "R", ":", " - ", "–", "—", ".", "\n", " ", "RAG:",
    ":large_green_circle:", ":red_circle:", "🟢", "🔴", "\ufe0f", "Recovery:", "By:", "Due:",
    "Reason:", "Action:", "31/12/2024", "December", "2024", "31/02", "*", "[", ")", "Q3 2024/25",
    "end of", "Expected:", "\r\n",
])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(_pieces, st.text(max_size=5))).map("".join)))
def test_parser_never_raises(text):
    parsed = parse_reply(text)
    assert parsed.rag is None or isinstance(parsed.rag, Rag)
    assert isinstance(parsed.narrative, str)
    assert parsed.narrative == parsed.narrative.strip()
    missing_for(parsed, None, Rag.green, today=TODAY)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_date_never_raises(text):
    result = parse_date(text)
    assert result is None or isinstance(result, date)


def test_slack_encoding_is_undone():
    parsed = parse_reply(
        "Amber - slipping: A&amp;E &lt;4h target, see <https://example.nhs.uk/plan|the plan>"
        " or <mailto:pmo@example.nhs.uk|pmo@example.nhs.uk> &lt;@U1&gt; <@U0SHARON>"
    )
    assert parsed.rag == Rag.amber
    assert parsed.narrative == (
        "slipping: A&E <4h target, see the plan (https://example.nhs.uk/plan) or "
        "pmo@example.nhs.uk <@U1> <@U0SHARON>"
    )
