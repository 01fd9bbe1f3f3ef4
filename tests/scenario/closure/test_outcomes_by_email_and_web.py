"""SROs on email asked for their outcomes at closure: one email listing their deliverables with
their personal link to the outcome page, filled in a real browser (headless Chromium driven by
Selenium against Ragtime served by waitress): errors beside the fields, then saved as versions.
Screenshots go to ``WEB_FORM_SHOTS`` when it is set."""

from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from sqlmodel import select

from bot.collection.closing import close_framework
from storage.db import session_scope
from storage.models import Deliverable, DeliverableOutcome
from tests.scenario.closure.conftest import load_thrive
from tests.scenario.conftest import LEAD, Harness
from tests.scenario.email.conftest import (  # noqa: F401 (fixtures)
    DAVID_EMAIL,
    PAUL_EMAIL,
    PUBLIC_URL,
    by_smtp,
    mailbox,
)
from tests.scenario.web.test_form_browser import CHROMIUM, DRIVER, FLAGS, _no_serious_violations
from tests.scenario.web.test_form_browser import _shot as shot
from tests.support.mail import Mailbox
from tests.support.web_form import _call, form_fields

LINK = re.compile(re.escape(PUBLIC_URL) + r"/form/([A-Za-z0-9._\-]+)/outcomes")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="needs Debian chromium and chromium-driver (.ci/run installs)"),
]


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1600")
    driver = webdriver.Chrome(options=options, service=Service(DRIVER or shutil.which(
        "chromedriver") or ""))
    try:
        yield driver
    finally:
        driver.quit()


def part(email: EmailMessage, kind: str) -> str:
    found = email.get_body(preferencelist=(kind,))
    assert found is not None
    return found.get_content()


def outcomes_of(harness: Harness, deliverable_id: int) -> list[DeliverableOutcome]:
    with session_scope(harness.engine) as session:
        return list(session.exec(select(DeliverableOutcome).where(
            DeliverableOutcome.deliverable_id == deliverable_id)
            .order_by(DeliverableOutcome.version)))


def test_an_email_sro_records_outcomes_on_the_web_page_from_their_email(
        by_smtp: Harness, mailbox: Mailbox, browser: WebDriver, tmp_path: Path):  # noqa: F811
    load_thrive(by_smtp.served, tmp_path)
    started = close_framework(by_smtp.ctx, "Step Up To Great", 2024, by=LEAD)
    assert started.delivery.failed == 0

    asked = [m for m in mailbox.to(DAVID_EMAIL) if "is closing" in m["Subject"]]
    assert len(asked) == 1 and len([m for m in mailbox.to(PAUL_EMAIL)
                                    if "is closing" in m["Subject"]]) == 1
    email = asked[0]
    assert email["Subject"] == ("Step Up To Great is closing: what became of your "
                                "deliverables?")
    text = part(email, "plain").replace("\r\n", "\n")
    assert "2024/25 is its final year" in text and "- PC-1 " in text and "- PC-2 " in text
    [token] = set(LINK.findall(text))
    assert set(LINK.findall(part(email, "html"))) == {token}
    again = close_framework(by_smtp.ctx, "Step Up To Great", 2024, by=LEAD)
    assert again.requests_recorded == 0 and len(
        [m for m in mailbox.to(DAVID_EMAIL) if "is closing" in m["Subject"]]) == 1

    with session_scope(by_smtp.engine) as session:
        ids = {d.code: d.id for d in session.exec(select(Deliverable))}
    first, second = ids["PC-1"], ids["PC-2"]
    browser.get(f"{by_smtp.served.url}/form/{token}/outcomes")
    assert browser.title.startswith("What became of your deliverables: Step Up To Great")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Your last update (2024/25 Q2): Green" in main
    _no_serious_violations(browser)
    shot(browser, "outcome-1-page")

    browser.find_element(By.CSS_SELECTOR, f"label[for='d{first}-outcome-stopped']").click()
    browser.find_element(By.CSS_SELECTOR, f"label[for='d{second}-outcome-carried']").click()
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.title.startswith("Error: "))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    assert "Say why it stopped." in summary
    assert "Choose the deliverable it is carried forward to." in summary
    assert "Say why it stopped." in browser.find_element(By.ID, f"d{first}-reason-error").text
    assert browser.find_element(By.ID, f"d{second}-outcome-carried").is_selected()
    _no_serious_violations(browser)
    shot(browser, "outcome-2-errors")
    assert outcomes_of(by_smtp, first) == outcomes_of(by_smtp, second) == []

    browser.find_element(By.ID, f"d{first}-reason").send_keys(
        "Folded into the <b>system-wide</b> plan")
    Select(browser.find_element(By.ID, f"d{second}-target")).select_by_visible_text(
        "R-2 Digital front door")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.title.startswith("Outcomes saved"))
    done = browser.find_element(By.TAG_NAME, "main").text
    assert "Stopped: Folded into the <b>system-wide</b> plan (version 1)" in done  # as text
    assert "Carried forward to THRIVE R-2 (version 1)" in done
    _no_serious_violations(browser)
    shot(browser, "outcome-3-saved")

    [stopped] = outcomes_of(by_smtp, first)
    [carried] = outcomes_of(by_smtp, second)
    assert (stopped.outcome, stopped.source, stopped.set_by_id) == ("stopped", "web",
                                                                    carried.set_by_id)
    assert carried.target_id == ids["R-2"]

    browser.get(f"{by_smtp.served.url}/form/{token}/outcomes")
    assert "Recorded: Carried forward to THRIVE R-2 (version 1)" in browser.find_element(
        By.TAG_NAME, "main").text

    # The same page posted twice (a double submit, a replay) stores one new version.
    url = f"{by_smtp.served.url}/form/{token}/outcomes"
    fields = form_fields(_call(urllib.request.Request(url)).text)
    fields[f"d{second}-outcome"] = "achieved"
    for _ in range(2):
        posted = _call(urllib.request.Request(
            url, data=urllib.parse.urlencode(fields).encode(), method="POST"))
        assert posted.status == 200 and "Achieved (version 2)" in posted.text
    assert [o.outcome for o in outcomes_of(by_smtp, second)] == ["carried", "achieved"]
    forged = _call(urllib.request.Request(url.replace(token, token + "x")))  # not signed
    assert forged.status == 403 and "<form" not in forged.text
