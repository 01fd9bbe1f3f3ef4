"""Cover-table values and Markdown escaping, the small rules every format relies on."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar.periods import Period
from bot.reports.cover import cover_key, cover_rows, standing_cover
from bot.reports.render import clean_text, md_block, md_escape


def test_cover_keys_are_forgiving():
    assert cover_key("Date submitted") == cover_key("date-submitted") == "date_submitted"
    assert cover_key("Paper sponsored by") == "sponsor"
    assert cover_key("BAF risks considered") == cover_key("baf_considered") == "baf_risks"


def test_cover_rows_layer_defaults_framework_and_overrides():
    rows = cover_rows(
        {"meeting": "Public Trust Board", "Date submitted": date(2025, 5, 20),
         "decision_required": {"Briefing": "", "Decision": "Yes"}, "risk appetite": True,
         "strategic alignment": ["Technology", "Healthy communities"]},
        {"meeting": "Trust Board", "author": None, "baf": ["01", "02"]},
        defaults={"title": "T", "author": "Default author"},
    )
    values = {row.key: row for row in rows}
    assert [row.key for row in rows] == ["title", "meeting", "author", "date_submitted",
                                         "decision_required", "strategic_alignment",
                                         "baf_risks", "risk_appetite"]
    assert values["meeting"].value == "Trust Board"  # the caller's override wins
    assert values["author"].value == "Default author"  # None overrides nothing
    assert values["date_submitted"].value == "20 May 2025"
    assert values["decision_required"].lines == ("Briefing", "Decision: Yes")
    assert values["strategic_alignment"].lines == ("Technology", "Healthy communities")
    assert values["baf_risks"].lines == ("01, 02",)  # short codes on one line
    assert (values["risk_appetite"].label, values["risk_appetite"].value) == (
        "Consistent with the risk appetite", "Yes")
    assert "sponsor" not in values  # no value and no default: left out, never "—"


def test_a_stored_cover_titles_each_quarters_paper():
    cover = {"Title": "Our Plan – {period} progress", "meeting": "Board", "closure": {}}

    assert standing_cover(cover, Period(2024, 2)) == {
        "Title": "Our Plan – 2024/25 Q2 progress", "meeting": "Board"}


def test_markdown_escaping():
    assert md_escape("<b>*x*</b> | [a](b) _u_ `c` ~s~ \\") == (
        "&lt;b&gt;\\*x\\*&lt;/b&gt; \\| \\[a\\](b) \\_u\\_ \\`c\\` \\~s\\~ \\\\")
    assert md_escape("A & E: waits < 4 hours, score > 15") == (
        "A & E: waits &lt; 4 hours, score &gt; 15")
    assert md_escape("&amp; &#39; <!-- x --> <https://x>") == (
        "&amp;amp; &amp;#39; &lt;!-- x --&gt; &lt;https://x&gt;")
    assert md_escape("> quoted") == "&gt; quoted"
    assert md_escape("# not a heading") == "\\# not a heading"
    assert md_escape("---") == "\\---"
    assert md_escape(None) == ""
    assert md_block("line one\r\n\n- item\n===") == "line one  \n- item  \n\\==="


def test_clean_text_drops_what_xml_cannot_hold():
    assert clean_text("a\x00b\x0bc\x07d\r\ne\rf") == "abcd\ne\nf"
    assert clean_text(3) == 3


def test_markdown_renderers_show_escaped_text_literally():
    """What a reader sees once GitHub or any CommonMark renderer shows the file."""
    from markdown_it import MarkdownIt

    shown = MarkdownIt("commonmark").render(
        md_escape("<script>alert(1)</script> A & E &amp; <https://evil> *not bold*"))
    assert shown == ("<p>&lt;script&gt;alert(1)&lt;/script&gt; A &amp; E &amp;amp; "
                     "&lt;https://evil&gt; *not bold*</p>\n")


@pytest.mark.parametrize("markup", [
    "<script>alert(1)</script>", "<iframe src=https://evil></iframe>",
    "<img src=x onerror=alert(1)>", "<w:p><w:r><w:t>x</w:t></w:r></w:p>",
])
def test_html_in_user_text_never_reaches_the_markdown_as_html(markup: str):
    """As entities, which every Markdown renderer (CommonMark or the original rules, inline
    HTML allowed) shows as text: no tag is left for a viewer to run."""
    from markdown_it import MarkdownIt

    escaped = md_escape(f"Before {markup} after")
    assert "<" not in escaped and ">" not in escaped
    shown = MarkdownIt("commonmark", {"html": True}).render(escaped)
    assert "<" not in shown.removeprefix("<p>").removesuffix("</p>\n")
    assert markup.replace("<", "&lt;").replace(">", "&gt;") in shown
