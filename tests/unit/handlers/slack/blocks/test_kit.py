"""Escaping user text for Slack mrkdwn, and Block Kit limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.blocks import kit as mrkdwn


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel> please look", "&lt;!channel&gt; please look"),
        ("<!here>", "&lt;!here&gt;"),
        ("ask <@U0ABC123>", "ask &lt;@U0ABC123&gt;"),
        ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
        ("A&E waits < 4 hours", "A&amp;E waits &lt; 4 hours"),
        ("already &amp; escaped", "already &amp;amp; escaped"),
    ],
)
def test_escape_neutralises_mentions_links_and_entities(raw: str, shown: str):
    assert mrkdwn.escape(raw) == shown


@given(st.text())
def test_escaped_text_never_holds_angle_brackets(text: str):
    assert "<" not in mrkdwn.escape(text) and ">" not in mrkdwn.escape(text)


@given(st.text())
def test_escape_is_reversible(text: str):
    escaped = mrkdwn.escape(text)
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_truncate_stays_within_the_limit(text: str, limit: int):
    cut = mrkdwn.truncate(text, limit)
    assert len(cut) <= limit
    assert cut == text or cut.endswith("…")


def test_truncate_does_not_split_an_escaped_entity():
    escaped = mrkdwn.escape("Risk score > 15 & rising")  # "Risk score &gt; 15 &amp; rising"
    assert mrkdwn.truncate(escaped, 14) == "Risk score…"


@given(
    st.text(alphabet=st.sampled_from("ab c\n"), max_size=400),
    st.integers(min_value=1, max_value=60),
)
def test_split_text_pieces_fit_and_rejoin(text: str, limit: int):
    pieces = mrkdwn.split_text(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert "".join(pieces) == text


def test_split_text_prefers_paragraphs_then_lines_then_words():
    text = "First paragraph here.\n\nSecond one.\nA line more."
    assert mrkdwn.split_text(text, 30) == [
        "First paragraph here.\n\n", "Second one.\nA line more."]
    assert mrkdwn.split_text("one two three", 8) == ["one two ", "three"]
    assert mrkdwn.split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_long_narrative_becomes_several_sections_within_the_limit():
    narrative = "\n\n".join(f"Paragraph {i}: " + "word " * 150 for i in range(6))
    blocks = mrkdwn.sections(narrative)
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_builders_enforce_block_kit_limits():
    assert len(mrkdwn.header("H" * 200)["text"]["text"]) == 150
    assert len(mrkdwn.section("s" * 5000)["text"]["text"]) == 3000
    assert len(mrkdwn.option("o" * 100, "v")["text"]["text"]) == 75
    view = mrkdwn.modal("Quarterly update for deliverable", [], callback_id="update",
                        submit="Submit the update now please")
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24


def test_block_count_limits_are_refused_with_a_clear_error():
    with pytest.raises(mrkdwn.BlockLimitError, match="at most 50 blocks; got 51"):
        mrkdwn.message_blocks([mrkdwn.divider()] * 51)
    with pytest.raises(mrkdwn.BlockLimitError, match="at most 100 blocks"):
        mrkdwn.home([mrkdwn.divider()] * 101)
    with pytest.raises(ValueError, match="private_metadata"):
        mrkdwn.modal("t", [], callback_id="c", private_metadata_value="x" * 3001)
