"""Fuzzing the text a person types: periods and thread replies.

Whatever arrives, the parsers answer with a value or their own error carrying a message for
the user (``PeriodError``), never another exception, and quickly even for huge input.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.calendar.periods import Period, PeriodError
from bot.collection.replies import missing_for, parse_reply
from storage.models import Rag

FUZZ = settings(max_examples=300, deadline=None)

periods = st.builds(Period, fy=st.integers(1900, 2998), quarter=st.integers(1, 4))

# Text that looks like a period often enough to reach every branch of the parser.
_period_pieces = st.sampled_from([
    "2024", "/", "-", "25", "2025", " ", "Q", "q", "2", "5", "0", "Q2", "FY", "\t", "٢", "２",
    "/25", "2024/25", "Q4", "\n", "quarter", "1999", "3000",
])
period_like = st.one_of(st.text(), st.lists(_period_pieces, max_size=8).map("".join))


@FUZZ
@given(period_like)
@example("2024/25 Q5")
@example("Q0 2024/25")
@example("2999/00 Q4")
@example("０２０２４/25 Q2")
def test_period_parse_answers_a_period_or_a_period_error(text):
    try:
        period = Period.parse(text)
    except PeriodError as error:
        message = str(error)
        assert message and "Traceback" not in message
        # The message quotes what was typed or names the part that is wrong.
        assert text in message or "financial year" in message or "quarter" in message
    else:
        assert 1 <= period.quarter <= 4
        assert Period.parse(period.label) == period


@FUZZ
@given(periods, st.sampled_from(["{label}", "{slug}", "Q{q} {fy}", "  {LABEL} ", "{fy}-Q{q}",
                                 "{fy4} q{q}"]))
def test_every_accepted_spelling_reads_back_the_same_period(period, form):
    fy4 = f"{period.fy}/{period.fy + 1}"
    text = form.format(label=period.label, slug=period.slug, q=period.quarter,
                       fy=period.fy_label, LABEL=period.label.upper(), fy4=fy4)
    assert Period.parse(text) == period


@FUZZ
@given(st.integers(-10_000, 10_000), st.integers(-10, 10))
def test_out_of_range_periods_are_refused_with_a_period_error(fy, quarter):
    try:
        period = Period(fy, quarter)
    except PeriodError as error:
        assert str(error)
    else:
        assert 1900 <= period.fy <= 2999 and 1 <= period.quarter <= 4


# ------------------------------------------------------------------------------ thread replies

RATINGS = {
    Rag.green: ["Green", "green", "GREEN", "G", "g", ":large_green_circle:", "🟢", "RAG: green",
                "*Green*", "Status: G"],
    Rag.amber: ["Amber", "amber", "A", "a", ":large_orange_circle:", "🟠", "Rating - amber",
                "_Amber_", ":large_yellow_circle:"],
    Rag.red: ["Red", "RED", "R", ":red_circle:", "🔴", "RAG status: red", "~Red~"],
}
spellings = st.sampled_from([(rag, s) for rag, items in RATINGS.items() for s in items])
separators = st.sampled_from([" - ", " – ", ": ", ". ", ", ", " ", "\n", " — ", "; "])
# A narrative as people write one: starts with a word, no labelled lines ("Reason: …").
narratives = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=":"),
    min_size=1, max_size=300,
).map(str.strip).filter(lambda s: s[:1].isalnum() and s[:1].lower() not in "gar")


def slack_encode(text: str) -> str:
    """What Slack sends for text a person typed (``&``, ``<``, ``>`` escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@FUZZ
@given(spellings, separators, narratives)
def test_the_rating_and_narrative_are_read_from_any_spelling(spelling, separator, narrative):
    rag, written = spelling
    bare_letter = written[-1].isalpha() and not written[-2:-1].isalpha()
    if bare_letter and not separator.strip():
        separator = " -" + separator  # a bare letter needs a separator ("G 0" is not a rating)
    parsed = parse_reply(slack_encode(f"{written}{separator}{narrative}"))
    assert parsed.rag == rag
    expected = "\n".join(line.rstrip() for line in narrative.splitlines()).strip()
    assert parsed.narrative == expected


@pytest.mark.parametrize("text", ["*G* - policy adopted", "_A_: awaiting funding", "~R~"])
def test_a_formatted_letter_is_a_rating(text):
    assert parse_reply(text).rag is not None


@FUZZ
@given(narratives)
def test_a_reply_without_a_rating_is_asked_for_one(narrative):
    parsed = parse_reply(slack_encode(narrative))
    if parsed.rag is None:
        assert "rag" in missing_for(parsed, None, None)


@FUZZ
@given(st.sampled_from([Rag.red, Rag.amber]), narratives)
def test_red_or_amber_without_a_recovery_plan_is_asked_for_it(rag, narrative):
    parsed = parse_reply(f"{rag.value} - {slack_encode(narrative)}")
    missing = missing_for(parsed, None, rag)
    assert "recovery_action" in missing and "recovery_date" in missing


HUGE = {
    "stars": "*" * 200_000,
    "dashes": "G" + "- " * 100_000,
    "labels": "Reason: x\n" * 20_000,
    "sentences": "a. by: 1 " * 20_000,
    "links": "<http://a|" * 40_000,
    "entities": "&amp;" * 40_000,
    "newlines": "\n" * 200_000 + "amber",
    "emoji": ":large_green_circle:" * 20_000,
    "date": "Green\nBy: " + "end of " * 20_000 + "March 2025",
    "spaces": "red" + " " * 200_000 + "x",
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_replies_are_read_without_catastrophic_backtracking(name):
    """Not a speed target (those live in benchmarks/): a regex that backtracks on these
    200,000-character replies takes minutes; reading them takes milliseconds, and seconds on a
    machine loaded by the whole suite, so the bound only tells the two apart."""
    started = time.perf_counter()
    parsed = parse_reply(HUGE[name])
    assert time.perf_counter() - started < 15.0
    assert isinstance(parsed.narrative, str)
