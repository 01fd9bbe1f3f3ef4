"""The closure report lists each deliverable's outcome by theme in every format, and a governance
lead cannot approve it while a deliverable has none (told which, through the real Approve
button); approving it closes the framework."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from sqlmodel import select

from bot.collection.closing import close_framework
from bot.collection.outcomes import OutcomeEntry, OutcomeError, Who, set_outcome
from bot.framework.lifecycle import state_of
from bot.reports.publish import publish_report
from bot.reports.targets import Target
from storage.db import session_scope
from storage.models import CompiledReport, Deliverable, Framework, FrameworkState, ReportStatus
from tests.scenario.closure.conftest import THRIVE
from tests.scenario.conftest import LEAD, Harness
from tests.scenario.reports.support import response_texts, wait_until
from tests.support.slack_requests import button

SUTG = "Step Up To Great"
CHANNEL = "C0GOVERN"
CLI = Who(operator="cli:lead")


def codes(harness: Harness) -> dict[str, int]:
    with session_scope(harness.engine) as session:
        frameworks = {f.id: f.name for f in session.exec(select(Framework))}
        return {f"{frameworks[d.framework_id]}/{d.code}": d.id or 0
                for d in session.exec(select(Deliverable))}


def outcome(harness: Harness, code: str, kind: str, target: str | None = None,
            reason: str | None = None) -> None:
    set_outcome(harness.ctx, deliverable_id=codes(harness)[f"{SUTG}/{code}"],
                entry=OutcomeEntry(kind, target, reason), who=CLI, source="cli")


def publish(harness: Harness, out: Path) -> CompiledReport:
    done = publish_report(harness.ctx, Target.year_end(2024), actor=LEAD, framework=SUTG,
                          out_dir=out)
    assert done.posted, done
    harness.served.settle()
    with session_scope(harness.engine) as session:
        return session.get(CompiledReport, done.report.id)


def approve(harness: Harness, report: CompiledReport) -> None:
    response = harness.served.slack.click(
        [button("report_approve", str(report.id), block_id="report_actions")],
        user_id=LEAD, channel_id=CHANNEL, message_ts=report.ts)
    assert response.status == 200
    harness.served.settle(timeout=90)  # an approval uploads the approved paper


def status_of(harness: Harness, report: CompiledReport) -> ReportStatus:
    with session_scope(harness.engine) as session:
        return session.get(CompiledReport, report.id).status


def framework_state(harness: Harness) -> FrameworkState:
    with session_scope(harness.engine) as session:
        sutg = session.exec(select(Framework).where(Framework.name == SUTG)).one()
        return state_of(session, sutg.id)


@pytest.mark.slow
def test_outcomes_by_theme_in_every_format_and_no_approval_while_one_is_missing(
        both: Harness, tmp_path: Path):
    close_framework(both.ctx, SUTG, 2024, by=LEAD)
    both.served.settle()
    every = [code for code in codes(both) if code.startswith(SUTG)]
    for full in every:
        code = full.split("/")[1]
        if code in ("PC-1", "PC-2"):
            continue  # David's: not recorded yet
        if code == "GO-1":
            outcome(both, code, "carried", f"{THRIVE}/R-1")
        elif code == "GO-2":
            outcome(both, code, "merged", "GO-3", "One access programme")
        elif code == "GC-1":
            outcome(both, code, "stopped", None, "Superseded <b>nationally</b> & by ICB")
        else:
            outcome(both, code, "achieved")

    report = publish(both, tmp_path / "draft")
    md = (tmp_path / "draft" / "sutg-2024-25-closure.md").read_text()
    assert md.count("### Outcomes") == 4
    assert "| GO-1 | Review, update, revise and implement Trust Access Policy | Carried " \
           "forward to THRIVE R-1 |" in md
    assert "Merged into Step Up To Great GO-3: One access programme" in md
    assert "| GC-1 | To implement the Privacy and Dignity standard our patients deserve | " \
           "Stopped: Superseded &lt;b&gt;nationally&lt;/b&gt; & by ICB |" in md  # escaped
    assert md.count("**No outcome yet**") == 2 and "**No outcome yet 2**" in md
    html = (tmp_path / "draft" / "sutg-2024-25-closure.html").read_text()
    assert "Superseded &lt;b&gt;nationally&lt;/b&gt; &amp; by ICB" in html
    assert html.count('class="missing-outcome">No outcome yet</strong>') == 2
    word = Document(str(tmp_path / "draft" / "sutg-2024-25-closure.docx"))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert "Carried forward to THRIVE R-1" in cells and cells.count("No outcome yet") == 2
    assert "Achieved 0 · Carried forward 0 · Merged 0 · Stopped 0 · No outcome yet 2" in [
        p.text for p in word.paragraphs]
    pdf = tmp_path / "draft" / "sutg-2024-25-closure.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Carried forward to THRIVE R-1" in " ".join(text.split())
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page-*.png"))

    # Approve, from the button under the summary: refused, naming the two.
    approve(both, report)
    told = wait_until(lambda: [t for t in response_texts(both.fake) if "cannot be approved"
                               in t], what="the refusal")
    assert ("The 2024/25 closure report cannot be approved yet: 2 deliverables have no "
            "outcome: PC-1 Review the current work") in told[-1]
    assert "; PC-2 As a member of the local authority" in told[-1]
    assert status_of(both, report) == ReportStatus.draft
    assert framework_state(both) == FrameworkState.closing

    outcome(both, "PC-1", "achieved")
    outcome(both, "PC-2", "carried", f"{THRIVE}/R-2")
    approve(both, report)  # the draft no longer says what the outcomes say
    wait_until(lambda: [t for t in response_texts(both.fake) if "have changed since" in t],
               what="the out-of-date refusal")
    assert status_of(both, report) == ReportStatus.draft

    final = publish(both, tmp_path / "final")
    assert "No outcome yet" not in (tmp_path / "final" / "sutg-2024-25-closure.md").read_text()
    approve(both, final)
    wait_until(lambda: status_of(both, final) == ReportStatus.approved, what="the approval")
    assert framework_state(both) == FrameworkState.closed
    with pytest.raises(OutcomeError, match="closed: its closure report is approved"):
        outcome(both, "GO-4", "stopped", None, "Too late")

    # Reopening the approved report makes the framework closing again: outcomes may change.
    response = both.served.slack.click(
        [button("report_reopen", str(final.id), block_id="report_actions")],
        user_id=LEAD, channel_id=CHANNEL, message_ts=final.ts)
    assert response.status == 200
    wait_until(lambda: status_of(both, final) == ReportStatus.draft, what="the reopening")
    assert framework_state(both) == FrameworkState.closing
    outcome(both, "GO-4", "stopped", None, "Funding withdrawn")
