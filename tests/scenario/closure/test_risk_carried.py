"""A BAF risk carried from the old strategy into the new one (on SQLite and PostgreSQL): its
first risk prompt in the new framework shows the last score it had in the old one as last
quarter's (the Slack prompt and its form; the email and the web form by email), the rules
measure a change from it, and the new framework's paper says "Carried from Step Up To Great
BAF 01" with its score history running on across the two strategies (md, html, docx, pdf; the
PDF page looked at as a picture, kept in ``PAPER_SHOTS`` when it is set)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.collection.flows import open_round_and_prompt
from bot.framework.importer import import_framework
from bot.reports.compile import compile_report
from bot.reports.risk_list import list_risks
from storage.db import session_scope
from storage.models import Framework, Risk, RiskScore
from tests.fakeslack import FakeSlack
from tests.scenario.closure.test_outcomes_by_email_and_web import browser  # noqa: F401
from tests.scenario.conftest import LEAD, SHARON, Harness, blocks_text, serve_example
from tests.scenario.email.conftest import (  # noqa: F401 (fixtures)
    PAUL_EMAIL,
    PUBLIC_URL,
    by_smtp,
    mailbox,
)
from tests.scenario.test_risk_returns import open_risk_form, risk_prompts, submit_risk
from tests.scenario.web.test_form_browser import CHROMIUM, DRIVER, _no_serious_violations
from tests.scenario.web.test_form_browser import _shot as shot
from tests.support.mail import Mailbox, part
from tests.support.served_app import stop

THRIVE = "THRIVE"
NEXT_Q1 = Period(2025, 1)
OWNER = {"sharon": ("smurphy", "Sharon Murphy", "Director of Finance",
                    "sharon.murphy@example.nhs.uk"),
         "paul": ("psheldon", "Paul Sheldon", "Chief People Officer", PAUL_EMAIL)}
LINK = re.compile(re.escape(PUBLIC_URL) + r"/form/([A-Za-z0-9._\-]+)")


def thrive_yaml(owner: str) -> str:
    key, name, title, email = OWNER[owner]
    return f"""\
name: THRIVE
period: 2025/26 Q1
people:
  - id: {key}
    name: {name}
    title: {title}
    email: {email}
themes:
  - name: Responsive
    risks:
      - number: "1"
        title: Without timely access to services, people wait too long for care
        score: 16
        target: 8
        owner: {key}
        carried_from: "Step Up To Great/BAF 01"
      - number: "2"
        title: A risk new to the new strategy
        score: 6
        owner: {key}
    deliverables:
      - area: Access
        title: Single point of access for every service
        sro: {key}
"""


def load_thrive_with_risks(engine: Engine, folder: Path, owner: str) -> dict[str, int]:
    """THRIVE imported, and SUTG's BAF 01 scored 16 and 12 in Q3 and Q4 (20 in Q2 from the
    example): the risk ids by ``Framework/number``."""
    path = folder / "thrive.yaml"
    path.write_text(thrive_yaml(owner), encoding="utf-8")
    with session_scope(engine, write=True) as session:
        import_framework(session, path, framework_name=THRIVE)
        names = {f.id: f.name for f in session.exec(select(Framework))}
        ids = {f"{names[r.framework_id]}/{r.number}": r.id or 0
               for r in session.exec(select(Risk))}
        for period, score in ((Period(2024, 3), 16), (Period(2024, 4), 12)):
            session.add(RiskScore(risk_id=ids["Step Up To Great/01"],
                                  period_id=stored_period(session, period).id or 0,
                                  score=score))
    return ids


@pytest.fixture
def example_served(fake_slack: FakeSlack, any_engine: Engine) -> Iterator[Harness]:
    """The example served over Slack, once on SQLite and once on PostgreSQL; no round open."""
    app = serve_example(fake_slack, any_engine,
                        any_engine.url.render_as_string(hide_password=False))
    try:
        yield Harness(app)
    finally:
        stop(app)


def test_the_first_risk_prompt_and_the_paper_continue_from_the_old_strategy(
        example_served: Harness, tmp_path: Path):
    slack = example_served
    ids = load_thrive_with_risks(slack.engine, tmp_path, "sharon")
    open_round_and_prompt(slack.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    slack.served.settle()

    prompts = {blocks_text(p["blocks"]).split("\n")[1][:7]: p for p in risk_prompts(slack, SHARON)}
    assert set(prompts) == {"*BAF 1*", "*BAF 2*"}
    carried = blocks_text(prompts["*BAF 1*"]["blocks"])
    # SUTG BAF 01's last score (2024/25 Q4), named
    assert "Last quarter: 12 (carried from Step Up To Great BAF 01) · Target: 8" in carried
    fresh = blocks_text(prompts["*BAF 2*"]["blocks"])
    assert "Last quarter: no score" in fresh

    form = open_risk_form(slack, SHARON, prompts["*BAF 1*"])
    assert "Last quarter: 12 (carried from Step Up To Great BAF 01) · Target: 8" in blocks_text(
        form["blocks"])
    # The rules measure the change from it: 16 after 12 needs a rationale.
    answer = submit_risk(slack, SHARON, form, likelihood="4", consequence="4",
                         actions=[("Open the second clinic", "Sharon Murphy", "2025-09-30",
                                   "")]).json()
    assert "changed from 12 last quarter to 16" in answer["errors"]["rationale"]
    response = submit_risk(slack, SHARON, form, likelihood="4", consequence="4",
                           rationale="Demand <rose> again",
                           actions=[("Open the second clinic", "Sharon Murphy", "2025-09-30",
                                     "")])
    assert response.status == 200 and response.body == ""

    with session_scope(slack.engine) as session:
        thrive = session.exec(select(Framework).where(Framework.name == THRIVE)).one()
        files = compile_report(session, NEXT_Q1, tmp_path / "paper", framework_id=thrive.id)
    baf = files.view.baf
    assert baf is not None
    rows = {row.number: row for row in baf.rows}
    assert rows["1"].carried_from == "Step Up To Great BAF 01"
    assert rows["1"].history == (("2024/25 Q2", 20), ("2024/25 Q3", 16), ("2024/25 Q4", 12),
                                 ("2025/26 Q1", 16))
    assert rows["1"].direction == "up" and rows["1"].returned
    assert rows["2"].carried_from == "" and rows["2"].history[:3] == (
        ("2024/25 Q2", None), ("2024/25 Q3", None), ("2024/25 Q4", None))
    assert ids[f"{THRIVE}/1"] != ids["Step Up To Great/01"]
    listed = {risk["number"]: risk for risk in list_risks(slack.engine, NEXT_Q1,
                                                           framework=THRIVE)}
    assert (listed["1"]["carried_from"], listed["2"]["carried_from"]) == (
        "Step Up To Great BAF 01", None)

    md = files.paths["md"].read_text()
    assert ("| 1 | Without timely access to services, people wait too long for care *(Carried "
            "from Step Up To Great BAF 01)* |") in md
    assert "*Carried from Step Up To Great BAF 01*" in md.split(
        "### Risks above target or outside appetite")[1]
    html = files.paths["html"].read_text()
    assert '<div class="carried small muted">Carried from Step Up To Great BAF 01</div>' in html
    docx = "\n".join(cell.text for table in Document(str(files.paths["docx"])).tables
                     for row in table.rows for cell in row.cells)
    assert "(Carried from Step Up To Great BAF 01)" in docx
    pdf = files.paths["pdf"]
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]
    [number] = [index for index, text in enumerate(pages, 1)
                if "Summary of BAF risks" in text]
    assert "Carried from Step Up To Great BAF 01" in pages[number - 1]
    assert "20 → 16 → 12 → 16" in pages[number - 1]
    out = Path(os.environ.get("PAPER_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number),
                    str(pdf), str(out / f"risk-carried-{slack.engine.dialect.name}")],
                   check=True)
    assert list(out.glob(f"risk-carried-{slack.engine.dialect.name}*.png"))


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER and shutil.which("chromium")),
                    reason="needs Debian chromium and chromium-driver (.ci/run installs)")
def test_the_risk_email_and_web_form_show_the_old_strategys_last_score(
        by_smtp: Harness, mailbox: Mailbox, browser: WebDriver, tmp_path: Path):  # noqa: F811
    ids = load_thrive_with_risks(by_smtp.engine, tmp_path, "paul")
    open_round_and_prompt(by_smtp.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    by_smtp.served.settle()

    [email] = [m for m in mailbox.to(PAUL_EMAIL) if "risk" in m["Subject"].lower()]
    text = part(email, "plain")
    assert ("last quarter's score: 12 (carried from Step Up To Great BAF 01); target: 8"
            in text)
    assert "last quarter's score: none" in text  # BAF 2, new
    assert ("last quarter's score: 12 (carried from Step Up To Great BAF 01) ·"
            in part(email, "html"))
    [token] = set(LINK.findall(text))
    browser.get(f"{by_smtp.served.url}/form/{token}/risk/{ids[f'{THRIVE}/1']}")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Last quarter's score: 12 (carried from Step Up To Great BAF 01)." in main
    _no_serious_violations(browser)
    shot(browser, "risk-carried-form")

