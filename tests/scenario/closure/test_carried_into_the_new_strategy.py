"""A deliverable carried from the old strategy into the new one: its first prompt in the new
framework shows the last rating and narrative it had in the old one, and the new framework's
paper says "Carried from Step Up To Great GO-1" with its trend running on across the two."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.collection.flows import open_round_and_prompt
from bot.reports.compile import compile_report
from storage.db import session_scope
from storage.models import Deliverable, Framework, Rag, Source, Update
from tests.scenario.closure.conftest import THRIVE, load_thrive
from tests.scenario.conftest import LEAD, SHARON, Harness

Q4 = Period(2024, 4)
NEXT_Q1 = Period(2025, 1)
CARRIED_CSV = (
    "theme,area,deliverable,sro_name,sro_title,sro_email,carried_from\n"
    "Responsive,Access,Single point of access for every service,Sharon Murphy,"
    "Director of Finance,sharon.murphy@example.nhs.uk,Step Up To Great/GO-1\n"
    "Responsive,Access,Digital front door,Sharon Murphy,Director of Finance,"
    "sharon.murphy@example.nhs.uk,\n"
)


def ids(harness: Harness) -> dict[str, int]:
    with session_scope(harness.engine) as session:
        names = {f.id: f.name for f in session.exec(select(Framework))}
        return {f"{names[d.framework_id]}/{d.code}": d.id or 0
                for d in session.exec(select(Deliverable))}


def test_the_first_prompt_and_the_paper_continue_from_the_old_strategy(
        slack: Harness, tmp_path: Path):
    load_thrive(slack.served, tmp_path, CARRIED_CSV)
    found = ids(slack)
    go1, r1, r2 = found["Step Up To Great/GO-1"], found[f"{THRIVE}/R-1"], found[f"{THRIVE}/R-2"]
    with session_scope(slack.engine, write=True) as session:  # GO-1's last update in SUTG
        session.add(Update(deliverable_id=go1, period_id=stored_period(session, Q4).id,
                           rag=Rag.amber, narrative="Awareness plan <slipping> to May.",
                           submitted_at=datetime(2025, 4, 10, 9, tzinfo=UTC),
                           source=Source.imported))

    opened = open_round_and_prompt(slack.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    slack.served.settle()
    assert opened.prompts_recorded == 2  # THRIVE's two deliverables only

    carried = slack.prompt(SHARON, r1).text
    assert "*2025/26 Q1 update* · Responsive › Access" in carried
    assert "*Carried from Step Up To Great GO-1*: its last update there (2024/25 Q4)" in carried
    assert ":large_orange_circle: Amber" in carried
    assert "Awareness plan &lt;slipping&gt; to May." in carried  # quoted, escaped
    fresh = slack.prompt(SHARON, r2).text
    assert "*Last quarter (2024/25 Q4)*" in fresh and "Carried from" not in fresh

    slack.answer_by_form(SHARON, r1, "green", "Single point of access live in two areas.")

    with session_scope(slack.engine) as session:
        thrive = session.exec(select(Framework).where(Framework.name == THRIVE)).one()
        files = compile_report(session, NEXT_Q1, tmp_path / "paper", framework_id=thrive.id)
    view = files.view
    [row] = [r for t in view.themes for r in t.rows if r.code == "R-1"]
    assert row.carried_from == "Step Up To Great GO-1"
    assert [(m.period_label, m.rag) for m in row.trend] == [
        ("2024/25 Q2", "green"), ("2024/25 Q3", None), ("2024/25 Q4", "amber"),
        ("2025/26 Q1", "green")]
    [fresh_row] = [r for t in view.themes for r in t.rows if r.code == "R-2"]
    assert fresh_row.carried_from == "" and {m.rag for m in fresh_row.trend} == {None}

    md = files.paths["md"].read_text()
    assert "#### R-1 Single point of access for every service\n\n*Carried from Step Up To " \
           "Great GO-1*" in md
    assert "Trend 2024/25 Q2 to 2025/26 Q1: G → – → A → G" in md
    html = files.paths["html"].read_text()
    assert '<div class="carried small muted">Carried from Step Up To Great GO-1</div>' in html
    pdf = files.paths["pdf"]
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Carried from Step Up To Great GO-1" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page-*.png"))
