"""The update form of a deliverable carried from the old strategy, in its first quarter in the
new one: like its prompt, the Slack modal and the web form show the last update it had in the
old framework ("Carried from Step Up To Great GO-1: its last update there (2024/25 Q4)", its
rating and narrative, escaped) instead of "Last quarter: no rating". The web form is read in
headless Chromium (screenshots to ``WEB_FORM_SHOTS`` when it is set)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.engine import Engine

from bot.calendar.periods import Period, stored_period
from bot.collection.flows import open_round_and_prompt
from storage.db import session_scope
from storage.models import Rag, Source, Update
from tests.scenario.closure.conftest import THRIVE, load_thrive
from tests.scenario.closure.test_carried_into_the_new_strategy import CARRIED_CSV as CARRIED
from tests.scenario.closure.test_carried_into_the_new_strategy import ids
from tests.scenario.closure.test_outcomes_by_email_and_web import browser  # noqa: F401
from tests.scenario.conftest import LEAD, SHARON, Harness, blocks_text
from tests.scenario.email.conftest import (  # noqa: F401 (fixtures)
    PAUL_EMAIL,
    PUBLIC_URL,
    by_smtp,
    mailbox,
)
from tests.scenario.web.test_form_browser import CHROMIUM, DRIVER, _no_serious_violations
from tests.scenario.web.test_form_browser import _shot as shot
from tests.support.mail import Mailbox, part

Q4 = Period(2024, 4)
NEXT_Q1 = Period(2025, 1)
CARRIED_CSV = CARRIED + (  # Sharon's two deliverables, and Paul's (on email) carried too
    "Valuing our people,Workforce,Retention plan,Paul Sheldon,Chief People Officer,"
    "paul.sheldon@example.nhs.uk,Step Up To Great/GC-2\n")
LINK = re.compile(re.escape(PUBLIC_URL) + r"/form/([A-Za-z0-9._\-]+)")


def last_update_in_sutg(engine: Engine, deliverable_id: int, rag: Rag, narrative: str) -> None:
    with session_scope(engine, write=True) as session:
        session.add(Update(deliverable_id=deliverable_id,
                           period_id=stored_period(session, Q4).id, rag=rag,
                           narrative=narrative, submitted_at=datetime(2025, 4, 10, 9, tzinfo=UTC),
                           source=Source.imported))


def test_the_slack_form_shows_the_last_update_in_the_old_strategy(
        slack: Harness, tmp_path: Path):
    load_thrive(slack.served, tmp_path, CARRIED_CSV)
    found = ids(slack)
    r1, r2 = found[f"{THRIVE}/R-1"], found[f"{THRIVE}/R-2"]
    last_update_in_sutg(slack.engine, found["Step Up To Great/GO-1"], Rag.amber,
                        "Awareness plan <slipping> to May, see <@U0LEAD>.")
    open_round_and_prompt(slack.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    slack.served.settle()

    form = slack.open_form(SHARON, r1)  # the view as the fake Slack holds it after views.update
    shown = blocks_text(form["blocks"])
    assert "*Carried from Step Up To Great GO-1*: its last update there (2024/25 Q4)" in shown
    assert "*Rating*\n:large_orange_circle: Amber" in shown
    assert "*Its last update in Step Up To Great GO-1*\n> Awareness plan &lt;slipping&gt; to " \
           "May, see &lt;@U0LEAD&gt;." in shown  # quoted and escaped: no mention
    assert "Last quarter:" not in shown
    assert "Deadline: " in shown
    fresh = blocks_text(slack.open_form(SHARON, r2)["blocks"])
    assert "Last quarter: no rating" in fresh and "Carried from" not in fresh


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER),
                    reason="needs Debian chromium and chromium-driver (.ci/run installs)")
def test_the_web_form_from_the_email_shows_the_last_update_in_the_old_strategy(
        by_smtp: Harness, mailbox: Mailbox, browser: WebDriver, tmp_path: Path):  # noqa: F811
    load_thrive(by_smtp.served, tmp_path, CARRIED_CSV)
    found = ids(by_smtp)
    retention = found[f"{THRIVE}/VOP-1"]
    last_update_in_sutg(by_smtp.engine, found["Step Up To Great/GC-2"], Rag.red,
                        "Estates <b>backlog</b> & two sites delayed.")
    open_round_and_prompt(by_smtp.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    by_smtp.served.settle()

    [email] = [m for m in mailbox.to(PAUL_EMAIL) if "2025/26 Q1" in m["Subject"]]
    text = part(email, "plain")
    assert "carried from Step Up To Great GC-2, last rated Red" in text
    [token] = set(LINK.findall(text))
    browser.get(f"{by_smtp.served.url}/form/{token}")
    inset = browser.find_element(By.CSS_SELECTOR, f"#d{retention}-title ~ .inset").text
    assert "Carried from Step Up To Great GC-2: its last update there (2024/25 Q4)" in inset
    assert "Rating there: Red" in inset
    assert "Estates <b>backlog</b> & two sites delayed." in inset  # as text, not markup
    assert "Last quarter" not in inset
    assert browser.find_elements(By.CSS_SELECTOR, ".inset b") == []
    _no_serious_violations(browser)
    shot(browser, "carried-form")

