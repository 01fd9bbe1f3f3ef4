"""Upload failures, the closure report, and ``publish_report`` as the CLI and scheduler use it."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

import bot.reports.publish as publish_module
from bot.reports.isolated import CompileCrashed
from bot.reports.publish import post_report, publish_report
from storage.db import session_scope
from storage.models import CompiledReport, Round
from tests.fakeslack import FakeSlack
from tests.scenario.reports.conftest import CHANNEL, LEAD, Q2
from tests.scenario.reports.support import (
    block_text,
    buttons,
    posts,
    response_texts,
    summaries,
    wait_until,
)
from tests.scenario.reports.test_compile_report import EXPECTED_FILES
from tests.support.served_app import ServedApp


def uploaded(fake: FakeSlack) -> list[str]:
    return sorted(upload.filename for upload in fake.uploaded_files())


def test_rate_limits_and_server_errors_during_the_upload_are_retried(
    served: ServedApp, fake_slack: FakeSlack, monkeypatch
):
    monkeypatch.setattr(publish_module, "UPLOAD_RETRY_SECONDS", 0)
    fake_slack.fail_next("files.getUploadURLExternal", 429, retry_after=0)
    fake_slack.fail_next("files.completeUploadExternal", 503)
    fake_slack.fail_next("files.completeUploadExternal", error="internal_error")

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    assert uploaded(fake_slack) == sorted(EXPECTED_FILES)
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1
    assert [c.fault for c in fake_slack.attempts("files.completeUploadExternal")] == [
        "503", "internal_error", None]
    final = wait_until(lambda: [t for t in response_texts(fake_slack) if "is posted" in t],
                       what="the result")
    assert "could not be uploaded" not in final[0]


def test_a_failed_upload_is_reported_and_compiling_again_uploads_the_files(
    served: ServedApp, fake_slack: FakeSlack
):
    fake_slack.fail_next("files.completeUploadExternal", error="not_in_channel")

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    told = wait_until(lambda: [t for t in response_texts(fake_slack) if "is posted" in t],
                      what="the result", timeout=30)
    assert "could not be uploaded: not_in_channel" in told[0]
    report = summaries(fake_slack, CHANNEL)[0]
    warnings = [c.params["text"] for c in posts(fake_slack, CHANNEL)
                if c.params.get("thread_ts") == report.response["ts"]]
    assert any("could not be uploaded (not_in_channel)" in text for text in warnings)
    assert uploaded(fake_slack) == []

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    assert uploaded(fake_slack) == sorted(EXPECTED_FILES)
    assert {u.thread_ts for u in fake_slack.uploaded_files()} == {report.response["ts"]}
    assert len(summaries(fake_slack, CHANNEL)) == 1
    wait_until(lambda: any("missing files are now uploaded" in t
                           for t in response_texts(fake_slack)), what="the second result")


def test_posting_to_a_channel_the_bot_is_not_in_tells_the_lead(
    served: ServedApp, fake_slack: FakeSlack
):
    fake_slack.set_channel_error(CHANNEL, "not_in_channel")

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    told = wait_until(lambda: [t for t in response_texts(fake_slack) if "could not post" in t],
                      what="the failure", timeout=30)
    assert "not_in_channel" in told[0] and "/invite @Ragtime" in told[0]


def test_the_year_end_closure_report(served: ServedApp, fake_slack: FakeSlack):
    response = served.slack.command("/compile-report", "2024/25 closure", user_id=LEAD)

    told = fake_slack.told(response.response_url)["text"]
    assert "Compiling the 2024/25 closure report" in told
    fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    [summary] = summaries(fake_slack, CHANNEL)
    blocks = summary.json_param("blocks")
    text = block_text(blocks)
    assert blocks[0]["text"]["text"] == "Closure report: 2024/25"
    assert "*RAG ratings by quarter*" in text and "*2024/25 Q2*" in text
    assert uploaded(fake_slack) == sorted(
        f"sutg-2024-25-closure{suffix}"
        for suffix in (".docx", ".pdf", ".html", ".md", "-chart.png"))
    with session_scope(served.ctx.engine) as session:
        report = session.exec(select(CompiledReport)).one()
    assert (report.kind, report.fy, report.period_id) == ("closure", 2024, None)
    assert buttons(blocks) == {"report_approve": str(report.id)}

    served.slack.click([{"type": "button", "action_id": "report_approve",
                         "block_id": "report_actions", "value": str(report.id),
                         "action_ts": "1.1"}],
                       user_id=LEAD, channel_id=CHANNEL, message_ts=report.ts)
    fake_slack.wait_for("chat.update")
    with session_scope(served.ctx.engine) as session:
        assert session.get(CompiledReport, report.id).status == "approved"
        assert session.exec(select(Round)).first() is None  # a year end freezes no quarter


def test_the_cli_posts_with_cover_values_and_keeps_the_files(
    served: ServedApp, fake_slack: FakeSlack, tmp_path: Path
):
    outcome = publish_report(
        served.ctx, "2024/25 Q2", actor="cli:alice", out_dir=tmp_path / "out",
        cover_overrides={"meeting": "Trust Board, 5 December 2024", "date": "28 November 2024"})

    assert outcome.posted and outcome.upload_error is None
    assert str(outcome).startswith("2024/25 Q2: draft posted to C0GOVERN")
    markdown = (tmp_path / "out" / "sutg-2024-25-Q2.md").read_text(encoding="utf-8")
    assert "Trust Board, 5 December 2024" in markdown and "28 November 2024" in markdown
    html = (tmp_path / "out" / "sutg-2024-25-Q2.html").read_text(encoding="utf-8")
    assert "Compiled by Ragtime on 20 October 2024 at 10:30." in html  # the app's clock
    [summary] = summaries(fake_slack, CHANNEL)
    assert "Compiled by cli:alice" in block_text(summary.json_param("blocks"))

    # The scheduler compiles without cover values: a different paper, so a new draft …
    scheduled = post_report(served.ctx, Q2)
    assert scheduled.posted and scheduled.report.compiled_by == "scheduler"
    # … and compiling that again changes nothing.
    again = post_report(served.ctx, Q2)
    assert not again.posted and again.report.id == scheduled.report.id
    assert "unchanged since the draft posted at 10:30 on 20 October 2024" in str(again)
    assert len(summaries(fake_slack, CHANNEL)) == 2


def test_an_unexpected_compile_failure_is_reported_to_the_lead(
    served: ServedApp, fake_slack: FakeSlack, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the PDF renderer crashed")

    monkeypatch.setattr(publish_module, "compile_in_child", broken)

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    told = wait_until(lambda: [t for t in response_texts(fake_slack) if "went wrong" in t],
                      what="the apology")
    assert "reference" in told[0]
    fake_slack.assert_no_call("chat.postMessage", within=0.2)


def test_a_compile_whose_process_dies_is_reported_to_the_lead(
    served: ServedApp, fake_slack: FakeSlack, monkeypatch
):
    def killed(*_args, **_kwargs):
        raise CompileCrashed("the report compiler process stopped before it finished (it was "
                             "killed or ran out of memory)")

    monkeypatch.setattr(publish_module, "compile_in_child", killed)

    served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    told = wait_until(lambda: [t for t in response_texts(fake_slack) if ":warning:" in t],
                      what="the failure")
    assert "I could not compile the 2024/25 Q2 report" in told[0]
    assert "killed or ran out of memory" in told[0] and "Try again" in told[0]
    fake_slack.assert_no_call("chat.postMessage", within=0.2)
