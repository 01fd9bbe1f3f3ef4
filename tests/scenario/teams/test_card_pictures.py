"""Every Adaptive Card Ragtime sends in Teams, drawn by the Adaptive Cards JavaScript renderer
(npm ``adaptivecards``) in headless chromium: each parses with no warning, shows what it
should, with text people typed shown as typed (never as Markdown or HTML). Set
``TEAMS_CARD_SHOTS=DIR`` to keep each as a PNG."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bot.calendar.periods import Period
from bot.collection.risk_returns import ReturnDraft, RiskEntry
from bot.collection.risk_rules import Action, Assurance, ReturnFields, RiskFacts
from bot.collection.submissions import FormFacts, FormValues
from bot.collection.values import Draft, Rag, Target
from bot.framework.example import load_example
from bot.framework.risks import RiskInfo
from bot.framework.rules import Rules
from bot.ports.reports import ReportRecord, StatusNote
from bot.ports.reports import Target as ReportTarget
from bot.reports import build_report
from handlers.teams.cards.build import as_json
from handlers.teams.cards.report import files_card, report_card
from handlers.teams.cards.reprompt import changes_card as reprompt_card
from handlers.teams.cards.risk import risk_card, risk_confirmation_card, risk_reminder_card
from handlers.teams.cards.update import confirmation_card, notice_card, reminder_card, update_card
from handlers.teams.decisions import changes_card
from handlers.teams.messenger import escalation_card, notice_card_of
from storage.db import session_scope
from storage.models import ReportStatus
from tests.support.card_renderer import page, render, screenshot

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and DRIVER and shutil.which("npm")),
                       reason="needs Debian chromium, chromium-driver and npm"),
]

Q3 = Period(2024, 3)
TYPED = "Slipped: the **supplier** <b>failed</b> & [see](http://x) _notes_"
FACTS = FormFacts(number="GO-5", title="To support the attainment of Group University Hospital "
                  "Trust Status", area="Research", theme="Great Outcomes",
                  deadline=date(2025, 1, 15), rules=Rules(), today=date(2024, 12, 20),
                  previous_rag=Rag.amber, previous_narrative=TYPED, initial=Draft())


RISK = RiskInfo(id=1, number="01", title="Without timely access to services, we cannot provide "
                "high quality safe care for our patients", theme="Great Outcomes",
                framework_id=1, appetite="cautious", target=12, target_date=date(2025, 3, 31))
RISK_ENTRY = RiskEntry(
    risk=RISK, facts=RiskFacts(previous_score=20, target=12, target_date=date(2025, 3, 31),
                               appetite="cautious"),
    draft=ReturnDraft(likelihood=4, consequence=5, controls=TYPED,
                      assurances=(Assurance("second", "positive", "Audit of waits"),),
                      actions=(Action(text="Recover elective activity", owner="COO",
                                      due=date(2025, 3, 31), deliverable="GO-1"),),
                      from_period="2024/25 Q2"),
    current=None, closed=None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=520,2400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER or ""))
    driver.get(page(tmp_path_factory.mktemp("cards")).as_uri())
    try:
        yield driver
    finally:
        driver.quit()


def report_view(engine) -> Any:
    with session_scope(engine, write=True) as session:
        load_example(session)
        return build_report(session, Period(2024, 2))


RECORD = ReportRecord(id=7, framework_id=1, target=ReportTarget.quarter(Period(2024, 2)),
                      content_hash="x", compiled_at=datetime(2024, 10, 1, 9, 30, tzinfo=UTC),
                      compiled_by="Gwen Lead", status=ReportStatus.draft, decided_by=None,
                      decided_at=None, channel="19:g", ts="act-1")


def cards(engine) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """name -> (card JSON, texts it must show)."""
    view = report_view(engine)
    target = Target(5, Q3)
    return {
        "prompt": (as_json(update_card(target, FACTS)),
                   ["2024/25 Q3 update", "GO-5 To support", "Last quarter: Amber", TYPED,
                    "Submit update"]),
        "prompt-refused": (as_json(update_card(
            target, FACTS, entered=FormValues(rag="red", narrative=TYPED, recovery_action=None,
                                              recovery_date=None, change_reason=None),
            errors={"recovery_action": "Give a recovery action: the rating is Red.",
                    "change_reason": "Say why the rating changed from Amber."})),
            ["Give a recovery action: the rating is Red.",
             "Say why the rating changed from Amber."]),
        "confirmation": (as_json(confirmation_card(
            target, number="GO-5", title="To support the attainment", rag=Rag.red,
            narrative=TYPED, version=2, by="Bhanu Chadalavada", at=None)),
            ["2024/25 Q3 update received", "Red · version 2", TYPED]),
        "reminder": (as_json(reminder_card({"period": "2024/25 Q3", "deadline": "2025-01-15",
                                            "deliverables": [{"id": 6, "number": "GO-6",
                                                              "title": TYPED},
                                                             {"id": 7, "number": "GO-7",
                                                              "title": "Research"}]})),
                     ["Reminder: 2024/25 Q3 updates", "(2)", f"GO-6 {TYPED}"]),
        "welcome": (as_json(notice_card("Hello Bhanu Chadalavada. Ragtime will send your "
                                        "quarterly update prompts here.")),
                    ["Hello Bhanu Chadalavada."]),
        "report": (as_json(report_card(RECORD, view, StatusNote("draft"), ZoneInfo(
            "Europe/London"))), ["Board report: 2024/25 Q2", "Status: Draft", "Approve",
                                 "Request changes"]),
        "report-approved": (as_json(report_card(RECORD, view, StatusNote(
            "approved", by="Gwen Lead"), ZoneInfo("Europe/London"))),
            ["Status: Approved by Gwen Lead"]),
        "files": (as_json(files_card("2024/25 Q2", [
            ("sutg-2024-25-Q2.pdf", "https://ragtime.example.nhs.uk/files/abc"),
            ("sutg-2024-25-Q2.docx", "https://ragtime.example.nhs.uk/files/def")], days=7)),
            ["Board paper files: 2024/25 Q2", "valid for 7 days", "sutg-2024-25-Q2.pdf"]),
        "changes": (as_json(changes_card(7, "2024/25 Q2", [(5, f"GO-5 {TYPED}"),
                                                          (6, "GO-6 Research")])),
                    ["Send the 2024/25 Q2 report back", "What should change?", "Send back"]),
        "escalation": (as_json(escalation_card({
            "period": "2024/25 Q3", "deadline": "2025-01-15", "total": 17, "answered": 15,
            "outstanding_count": 2, "themes": [{"theme": "Great Outcomes", "outstanding": [
                {"number": "GO-6", "title": TYPED, "sros": [{"name": "James Mullins"}]}]}]})),
            ["still outstanding at the deadline", "15 of 17 answered", "(James Mullins)"]),
        "reprompt": (as_json(reprompt_card(target, FACTS, {
            "period": "2024/25 Q3", "number": "GO-5", "title": "To support the attainment",
            "theme": "Great Outcomes", "rag": "amber", "comment": TYPED,
            "requested_by": "Gwen Lead"})),
            ["Changes requested on your 2024/25 Q3 update",
             "Gwen Lead reviewed the draft board report and asked:", TYPED,
             "Your current rating: Amber", "Submit update"]),
        # A co-owner's change-request card redrawn after the other SRO answered: the request
        # above the form holding the version just saved (``handlers.teams.followups``).
        "reprompt-redrawn": (as_json(reprompt_card(target, replace(
            FACTS, current_version=2, current_by="Bhanu Chadalavada",
            initial=Draft(rag=Rag.green, narrative=f"Revised: {TYPED}")), {
            "period": "2024/25 Q3", "number": "GO-5", "title": "To support the attainment",
            "theme": "Great Outcomes", "rag": "green", "comment": "Say when it is expected",
            "requested_by": "Gwen Lead"})),
            ["Changes requested on your 2024/25 Q3 update", "Say when it is expected",
             "Your current rating: Green",
             "Version 2 was saved by Bhanu Chadalavada; submitting makes version 3",
             "Submit update"]),
        "risk": (as_json(risk_card(1, Q3, RISK_ENTRY, deadline="2025-01-15")),
                 ["2024/25 Q3 BAF risk return", "BAF 01 Without timely access",
                  "Last quarter: 20 · Target: 12 · Appetite: Cautious", "Due Wed 15 Jan 2025",
                  "Pre-filled from 2024/25 Q2", "Likelihood", "Consequence", "Key controls",
                  "Second line: positive", "Action 1", "Submit return",
                  "No change this quarter"]),
        "risk-refused": (as_json(risk_card(1, Q3, RISK_ENTRY, entered=ReturnFields(
            likelihood="4", consequence="4", controls=TYPED), errors={
                "rationale": "The score changed from 20 last quarter to 16: give the rationale "
                             "for the change.",
                "actions": "The score 16 is above the target 12: list at least one action "
                           "with a date that will bring it down."})),
            ["give the rationale for the change", "list at least one action with a date"]),
        "risk-confirmation": (as_json(risk_confirmation_card(
            period=Q3, number="01", title=RISK.title, score=16, likelihood=4, consequence=4,
            version=1, unchanged=False,
            flags=("The score 16 is outside the cautious risk appetite (at most 12).",))),
            ["2024/25 Q3 BAF risk: return received", "Score 16 (likelihood 4 likely",
             "outside the cautious risk appetite"]),
        "risk-reminder": (as_json(risk_reminder_card({
            "period": "2024/25 Q3", "deadline": "2025-01-15",
            "risks": [{"risk_id": 1, "number": "01", "title": TYPED}]})),
            ["Reminder: 2024/25 Q3 BAF risk returns", f"BAF 01 {TYPED}", "Return BAF 01"]),
        "notice-graph": (as_json(notice_card_of({
            "title": "2024/25 Q3: SROs not prompted",
            "intro": "Opening the 2024/25 Q3 round, these SROs could not be sent their prompts "
                     "or have Ragtime added in Teams. Fix their Slack account, email or "
                     "channel in the framework file (or Ragtime's Microsoft Graph "
                     "permissions), then open the round again: only the missing prompts are "
                     "sent.",
            "lines": ["James Mullins, Sharon Murphy: Ragtime could not be added in Teams for "
                      "them through Microsoft Graph: Microsoft Graph refused Ragtime (HTTP 403: "
                      "Insufficient privileges): grant its application permissions (see the "
                      "README)"],
            "footer": "Ragtime tells you once about each list of problems."})),
            ["or have Ragtime added in Teams", "James Mullins, Sharon Murphy: Ragtime could "
             "not be added in Teams"]),
        "notice": (as_json(notice_card_of({"title": "2024/25 Q3: SROs not prompted",
                                           "intro": "These SROs could not be sent prompts.",
                                           "lines": [f"David Williams: {TYPED}"],
                                           "footer": "Ragtime tells you once."})),
                   ["SROs not prompted", f"David Williams: {TYPED}"]),
    }


def test_every_card_renders_as_teams_would_show_it(browser, engine):
    shots = os.environ.get("TEAMS_CARD_SHOTS")
    for name, (card, expected) in cards(engine).items():
        drawn = render(browser, card)
        assert drawn["errors"] == [], (name, drawn["errors"])
        for text in expected:
            assert text in drawn["text"], (name, text, drawn["text"])
        assert "<b>" not in drawn["text"] or TYPED in drawn["text"]  # shown, never run
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            screenshot(browser, Path(shots) / f"{name}.png")


def test_the_prompt_card_has_every_input_and_the_rules_hints(browser):
    drawn = render(browser, as_json(update_card(Target(5, Q3), FACTS)))
    assert len(drawn["inputs"]) >= 5  # 3 RAG radios, narrative, recovery action/date, reason
    assert "Required with a Red or Amber rating" in drawn["text"] or any(
        "Required with a Red or Amber rating" in i for i in drawn["inputs"])
    assert drawn["buttons"] == ["Submit update"]


def test_the_risk_card_has_the_grid_and_every_field(browser):
    drawn = render(browser, as_json(risk_card(1, Q3, RISK_ENTRY)))
    assert drawn["errors"] == []
    assert drawn["buttons"] == ["Submit return", "No change this quarter"]
    # text inputs (the likelihood and consequence are selects, drawn apart): rationale,
    # controls, gaps in control, 6 assurances, gaps in assurance, 3 action rows of what /
    # owner / date / deliverable
    assert len(drawn["inputs"]) == 3 + 6 + 1 + 3 * 4
    assert "1 Rare" in browser.page_source and "5 Catastrophic" in browser.page_source
