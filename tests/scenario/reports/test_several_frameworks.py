"""Posting a report when the database holds several frameworks: the command names one, and
without a name nothing is compiled or posted (the reply lists the frameworks)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.calendar.periods import stored_period
from bot.framework.importer import import_framework
from bot.reports.errors import PublishError
from bot.reports.publish import publish_report
from storage.db import session_scope
from storage.models import CompiledReport, Deliverable, Framework, Rag, Source, Update
from tests.fakeslack import FakeSlack
from tests.scenario.reports.conftest import CHANNEL, LEAD, Q2
from tests.scenario.reports.support import block_text, response_texts, summaries, wait_until
from tests.support.served_app import ServedApp

PLAN = ("theme,area,deliverable,sro_name,sro_title,sro_email\n"
        "Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org\n")
LISTING = "2 frameworks are loaded ('Step Up To Great', 'Our Plan'); name one with"


@pytest.fixture
def two_frameworks(served: ServedApp, tmp_path: Path) -> dict[str, int]:
    """The example beside 'Our Plan' (one deliverable, rated Red in 2024/25 Q2)."""
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN, encoding="utf-8")
    with session_scope(served.ctx.engine, write=True) as session:
        import_framework(session, plan, framework_name="Our Plan")
    with session_scope(served.ctx.engine, write=True) as session:
        ours = session.exec(select(Framework).where(Framework.name == "Our Plan")).one()
        wards = session.exec(select(Deliverable).where(Deliverable.framework_id == ours.id)).one()
        session.add(Update(deliverable_id=wards.id, period_id=stored_period(session, Q2).id,
                           rag=Rag.red, narrative="Two wards behind plan.",
                           submitted_at=datetime(2024, 10, 11, 9, tzinfo=UTC),
                           source=Source.imported))
        return {framework.name: framework.id for framework in session.exec(select(Framework))}


def reports(served: ServedApp) -> list[CompiledReport]:
    with session_scope(served.ctx.engine) as session:
        return list(session.exec(select(CompiledReport).order_by(CompiledReport.id)))


def test_publishing_without_a_name_is_refused_and_with_one_posts_that_framework(
    served: ServedApp, fake_slack: FakeSlack, two_frameworks: dict[str, int], tmp_path: Path
):
    with pytest.raises(PublishError) as refused:
        publish_report(served.ctx, "2024/25 Q2", actor="cli:alice")
    assert f"{LISTING} --framework NAME" in str(refused.value)
    assert reports(served) == [] and summaries(fake_slack, CHANNEL) == []

    with pytest.raises(PublishError, match="There is no framework 'Nope'; choose one of"):
        publish_report(served.ctx, "2024/25 Q2", actor="cli:alice", framework="Nope")

    outcome = publish_report(served.ctx, "2024/25 Q2", actor="cli:alice", framework="our plan")
    assert outcome.posted and outcome.upload_error is None
    assert outcome.report.framework_id == two_frameworks["Our Plan"]
    [summary] = summaries(fake_slack, CHANNEL)
    text = block_text(summary.json_param("blocks"))
    assert "Our Plan" in text and "Step Up To Great" not in text
    assert sorted(upload.filename for upload in fake_slack.uploaded_files()) == sorted(
        f"our-plan-2024-25-Q2{suffix}" for suffix in (".docx", ".pdf", ".html", ".md",
                                                      "-chart.png"))

    # Unchanged: nothing is posted again, and the files asked for are that framework's.
    again = publish_report(served.ctx, "2024/25 Q2", actor="cli:alice", framework="Our Plan",
                           out_dir=tmp_path / "out", formats=("md",))
    assert not again.posted and again.report.id == outcome.report.id
    assert "#### GC-1 Safer wards" in (tmp_path / "out" / "our-plan-2024-25-Q2.md").read_text()

    # The other framework's report of the same period is its own draft, not "unchanged".
    other = publish_report(served.ctx, "2024/25 Q2", actor="cli:alice",
                           framework="Step Up To Great")
    assert other.posted and other.report.framework_id == two_frameworks["Step Up To Great"]
    assert len(summaries(fake_slack, CHANNEL)) == 2


def test_the_slash_command_takes_framework_as_the_choice_not_a_cover_value(
    served: ServedApp, fake_slack: FakeSlack, two_frameworks: dict[str, int]
):
    unnamed = served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)
    assert unnamed.status == 200
    assert f'{LISTING} framework="NAME"' in fake_slack.told(unnamed.response_url)["text"]
    assert fake_slack.told(unnamed.response_url)["response_type"] == "ephemeral"

    named = served.slack.command(
        "/compile-report", '2024/25 Q2 framework="Step Up To Great" meeting="Trust Board"',
        user_id=LEAD)
    assert "Compiling the 2024/25 Q2 report" in fake_slack.told(named.response_url)["text"]
    fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    wait_until(lambda: [t for t in response_texts(fake_slack) if "is posted" in t],
               what="the result")
    [report] = reports(served)
    assert report.framework_id == two_frameworks["Step Up To Great"]
    assert report.cover == {"meeting": "Trust Board"}
    [summary] = summaries(fake_slack, CHANNEL)
    assert "Step Up To Great" in block_text(summary.json_param("blocks"))
