"""The emails of a strategy's closure: a carried deliverable's first prompt says what it carries
on and its last rating there; the outcome request lists the deliverables with the link."""

from __future__ import annotations

from handlers.email.render import render

ITEM = {"deliverable_id": 18, "number": "R-1", "title": "Single point of access",
        "theme": "Responsive", "area": "Access", "joint_sros": [], "previous_rag": "amber"}


def test_a_carried_deliverable_says_what_it_carries_on_in_the_round_email():
    carried = {**ITEM, "carried_from": "Step Up To Great GO-1"}
    plain = {**ITEM, "deliverable_id": 19, "number": "R-2", "previous_rag": None}
    done = render("round", {"teams_link": "", "person_name": "Sharon Murphy",
                            "period": "2025/26 Q1", "deadline": "2025-07-14",
                            "deliverables": [carried, plain],
                            "link": "https://example.org/form/t"})
    assert ("Responsive > Access; carried from Step Up To Great GO-1, last rated Amber"
            in done.text)
    assert "Responsive > Access; last quarter: no update" in done.text
    assert "carried from Step Up To Great GO-1, last rated Amber" in done.html


def test_the_outcome_request_lists_the_deliverables_and_escapes_them():
    done = render("outcome_request", {
        "person_name": "David <b>Williams</b>", "period": "2024/25 Q4",
        "framework": "Step Up To Great", "final_year": "2024/25",
        "deliverables": [{"number": "PC-1", "title": "Anchor <organisations>",
                          "theme": "Part of the Community"}],
        "link": "https://example.org/form/t/outcomes", "update_link": "https://example.org/form/t"})
    assert done.subject == "Step Up To Great is closing: what became of your deliverables?"
    assert "- PC-1 Anchor <organisations>" in done.text
    assert "https://example.org/form/t/outcomes" in done.text
    assert "Anchor &lt;organisations&gt;" in done.html and "<b>Williams" not in done.html
