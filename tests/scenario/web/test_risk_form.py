"""A BAF risk owner on email returns their risk in the web form: the round's email carries their
personal link, the page lists their risks, the risk's page (headless Chromium via Selenium, served
by waitress) shows a rule's error beside the field and in the summary, stores the corrected return
with its flags, and "No change this quarter" confirms it in one step; axe finds no serious
accessibility violation. Screenshots go to ``WEB_FORM_SHOTS`` when it is set."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.collection.flows import open_round_and_prompt
from bot.collection.risk_returns import return_history
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import Risk
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import LEAD, NOW, Q3
from tests.scenario.email.conftest import PAUL_EMAIL, PUBLIC_URL, email_world, smtp_settings
from tests.scenario.web.test_form_browser import (  # noqa: F401 (the browser fixture)
    CHROMIUM,
    DRIVER,
    _no_serious_violations,
    _shot,
    browser,
)
from tests.support.mail import Mailbox, part, smtp_server
from tests.support.served_app import ServedApp, serve, settings_for, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="needs Debian chromium and chromium-driver (.ci/run installs)"),
]
ROWS = [["theme", "risk_number", "risk_title", "score", "owner_name", "owner_title",
         "owner_email", "appetite", "target", "target_date"],
        ["Great Care", "03", "Without a fit estate, care suffers.", "12", "Paul Sheldon",
         "Group Chief Finance Officer", PAUL_EMAIL, "cautious", "12", "2025-03-31"]]


@pytest.fixture
def round_by_email(fake_slack: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path
                   ) -> Iterator[tuple[ServedApp, Mailbox]]:
    email_world(fake_slack, engine, tmp_path)
    path = tmp_path / "risks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(ROWS)
    with session_scope(engine, write=True) as session:
        import_framework(session, path, today=date(2024, 12, 20))
    with smtp_server() as mailbox:
        settings = settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD,
                                **smtp_settings(mailbox))
        app = serve(settings, fake_slack, engine=engine, clock=lambda: NOW)
        try:
            open_round_and_prompt(app.ctx, Q3, opened_by=LEAD)
            yield app, mailbox
        finally:
            stop(app)


def test_an_owner_on_email_returns_the_risk_in_the_web_form(
    round_by_email, browser: WebDriver,  # noqa: F811 (the fixture)
):
    app, mailbox = round_by_email
    emails = [m for m in mailbox.to(PAUL_EMAIL) if "BAF risk return" in str(m["Subject"])]
    assert len(emails) == 1
    text = part(emails[0], "plain")
    assert "BAF 03 Without a fit estate, care suffers." in text
    assert "last quarter's score: 12; target: 12" in text
    link = re.search(re.escape(PUBLIC_URL) + r"(/form/\S+)", text)[1]
    browser.get(app.url + link)

    browser.find_element(By.ID, "risk-03").click()
    WebDriverWait(browser, 10).until(lambda d: d.title.startswith("BAF 03"))
    assert "Last quarter's score: 12" in browser.find_element(By.CSS_SELECTOR, ".inset").text
    assert browser.find_elements(By.ID, "no_change") == []  # nothing returned before
    _no_serious_violations(browser)
    _shot(browser, "risk-1-form")

    # 16, changed from 12 and above the target 12: a rationale and a dated action are needed.
    browser.find_element(By.CSS_SELECTOR, "label[for='likelihood-4']").click()
    browser.find_element(By.CSS_SELECTOR, "label[for='consequence-4']").click()
    browser.find_element(By.ID, "controls").send_keys("Estates strategy; capital plan")
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 10).until(lambda d: d.title.startswith("Error: "))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    assert "The score changed from 12 last quarter to 16" in summary
    assert "above the target 12" in summary
    assert "changed from 12" in browser.find_element(By.ID, "rationale-error").text
    assert browser.find_element(By.ID, "likelihood-4").is_selected()
    _no_serious_violations(browser)
    _shot(browser, "risk-2-errors")

    browser.find_element(By.ID, "rationale").send_keys("Two wards failed the fire survey.")
    browser.find_element(By.ID, "assure_third_negative").send_keys("Internal audit: limited")
    browser.find_element(By.ID, "action_1_text").send_keys("Replace the fire doors")
    browser.find_element(By.ID, "action_1_owner").send_keys("Head of Estates")
    browser.find_element(By.ID, "action_1_due").send_keys("31/03/2025")
    browser.find_element(By.ID, "action_1_deliverable").send_keys("GC-2")
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 10).until(lambda d: d.title.startswith("Return sent"))
    assert browser.find_element(By.ID, "score").text == "16"
    assert "outside the cautious risk appetite (at most 12)" in browser.find_element(
        By.ID, "flags").text
    _no_serious_violations(browser)
    _shot(browser, "risk-3-sent")

    # Back on the risk's page: pre-filled, and "No change this quarter" confirms it at once.
    browser.get(app.url + link)
    assert "returned, score 16" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.ID, "risk-03").click()
    WebDriverWait(browser, 10).until(lambda d: d.title.startswith("BAF 03"))
    assert browser.find_element(By.ID, "action_1_deliverable").get_attribute("value") == "GC-2"
    browser.find_element(By.ID, "no_change").click()
    # The old page's heading may be read as the new page replaces it: a stale element is
    # "not yet", as a missing one is.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.TAG_NAME, "h1").text == "No change confirmed")
    with session_scope(app.ctx.engine) as session:
        risk = session.exec(select(Risk).where(Risk.number == "03")).one()
        history = return_history(session, risk.id)
    assert [(r.version, r.score, r.unchanged, r.source) for r in history] == [
        (1, 16, False, "web"), (2, 16, True, "web")]
    assert history[0].actions[0]["deliverable"] == "GC-2"
    assert history[0].assurances == [{"line": "third", "kind": "negative",
                                      "text": "Internal audit: limited"}]
