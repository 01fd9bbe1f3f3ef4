"""`/compile-report` end to end: the real app over HTTP, the fake Slack, a real SQLite file."""

from __future__ import annotations

import time

from sqlmodel import select

from storage.db import session_scope
from storage.models import AuditEvent, CompiledReport
from tests.fakeslack import FakeSlack
from tests.scenario.reports.conftest import CHANNEL, LEAD
from tests.scenario.reports.support import (
    block_text,
    buttons,
    response_texts,
    summaries,
    wait_until,
)
from tests.support.served_app import ServedApp

EXPECTED_FILES = {"sutg-2024-25-Q2.docx", "sutg-2024-25-Q2.pdf", "sutg-2024-25-Q2.html",
                  "sutg-2024-25-Q2.md", "sutg-2024-25-Q2-chart.png"}


def compile_and_wait(served: ServedApp, fake: FakeSlack, text: str = "2024/25 Q2",
                     *, uploads: int = 1):
    response = served.slack.command("/compile-report", text, user_id=LEAD)
    assert response.status == 200
    fake.wait_for("files.completeUploadExternal", uploads, timeout=30)
    return response


def test_a_lead_gets_an_instant_ack_then_the_summary_and_five_files(
    served: ServedApp, fake_slack: FakeSlack
):
    started = time.monotonic()
    response = served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)
    acked_in = time.monotonic() - started

    assert response.status == 200
    assert acked_in < 2.5
    told = fake_slack.told(response.response_url)  # by the worker: the ack says nothing
    assert response.body == ""
    assert "Compiling the 2024/25 Q2 report" in told["text"]
    assert told["response_type"] == "ephemeral"

    fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    [summary] = summaries(fake_slack, CHANNEL)
    blocks = summary.json_param("blocks")
    text = block_text(blocks)
    assert blocks[0] == {"type": "header", "text": {
        "type": "plain_text", "text": "Draft board report: 2024/25 Q2", "emoji": True}}
    assert "Step Up To Great – Quarter 2 progress 2024/25" in text
    for theme in ("Great Outcomes", "Great Care", "Great Place to Work", "Part of the Community"):
        assert f"*{theme}*" in text
    # The example's 13 green and 4 amber, less go-access-2 now Red; no update is missing.
    assert ("*All themes*\n:large_green_circle: 12   :large_orange_circle: 4   :red_circle: 1   "
            ":white_circle: 0 no update") in text
    assert "*Changed since 2024/25 Q1* (2)" in text
    assert "Amber → Green" in text and "Green → Red" in text
    assert "*No update received* (0)" in text
    assert "*BAF risks* (9)" in text and "*01* Without timely access" in text
    assert ":memo: *Draft*" in text
    with session_scope(served.ctx.engine) as session:
        report = session.exec(select(CompiledReport)).one()
    assert buttons(blocks) == {"report_approve": str(report.id),
                               "report_request_changes": str(report.id)}
    assert (report.channel, report.ts) == (CHANNEL, summary.response["ts"])
    assert len(report.content_hash) == 64 and report.compiled_by == LEAD

    uploads = {upload.filename: upload for upload in fake_slack.uploaded_files()}
    assert set(uploads) == EXPECTED_FILES
    assert {u.channel for u in uploads.values()} == {CHANNEL}
    assert {u.thread_ts for u in uploads.values()} == {report.ts}
    assert uploads["sutg-2024-25-Q2.docx"].data[:2] == b"PK"
    assert uploads["sutg-2024-25-Q2.pdf"].data[:5] == b"%PDF-"
    assert uploads["sutg-2024-25-Q2-chart.png"].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Trust Access Policy" in uploads["sutg-2024-25-Q2.md"].data
    assert b"<html" in uploads["sutg-2024-25-Q2.html"].data.lower()

    final = wait_until(lambda: [t for t in response_texts(fake_slack) if "is posted" in t],
                       what="the result for the lead")
    assert f"<#{CHANNEL}>" in final[-1] and "5 files" in final[-1]


def test_user_text_is_escaped_in_the_summary(served: ServedApp, fake_slack: FakeSlack):
    compile_and_wait(served, fake_slack)
    [summary] = summaries(fake_slack, CHANNEL)
    text = block_text(summary.json_param("blocks"))

    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "&lt;@U123&gt;" in text and "<@U123>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "&lt;https://evil|click&gt;" in text and "<https://evil" not in text
    assert " &amp; " in text
    assert "<!channel>" not in summary.params["text"]


def test_the_default_period_is_the_previous_quarter(served: ServedApp, fake_slack: FakeSlack):
    response = compile_and_wait(served, fake_slack, "")

    assert "2024/25 Q2" in fake_slack.told(response.response_url)["text"]
    assert len(summaries(fake_slack, CHANNEL)) == 1


def test_a_non_lead_is_refused_politely_and_nothing_is_posted(
    served: ServedApp, fake_slack: FakeSlack
):
    response = served.slack.command("/compile-report", "2024/25 Q2", user_id="U0SMURPHY")

    assert response.status == 200
    assert "only governance leads" in fake_slack.told(response.response_url)["text"]
    fake_slack.assert_no_call("chat.postMessage", within=0.5)
    fake_slack.assert_no_call("files.completeUploadExternal", within=0)
    with session_scope(served.ctx.engine) as session:
        assert session.exec(select(CompiledReport)).all() == []


def test_leads_listed_by_email_are_recognised(served: ServedApp, fake_slack: FakeSlack,
                                               monkeypatch):
    settings = served.ctx.settings.model_copy(update={
        "governance_leads_raw": "Lead@Example.NHS.uk"})
    monkeypatch.setattr(served.ctx, "settings", settings)
    monkeypatch.setattr(served.worker.ctx, "settings", settings)

    refused = served.slack.command("/compile-report", "bad", user_id="U0SMURPHY")
    accepted = served.slack.command("/compile-report", "next week", user_id=LEAD)

    assert "only governance leads" in fake_slack.told(refused.response_url)["text"]
    assert "is not a period" in fake_slack.told(accepted.response_url)["text"]


def test_unreadable_unknown_and_empty_periods_get_clear_messages(
    served: ServedApp, fake_slack: FakeSlack
):
    unreadable = served.slack.command("/compile-report", "next <@U1> week", user_id=LEAD)
    whole_year = served.slack.command("/compile-report", "2024/25", user_id=LEAD)
    future = served.slack.command("/compile-report", "2026/27 Q1", user_id=LEAD)
    empty = served.slack.command("/compile-report", "2024/25 Q3", user_id=LEAD)

    assert "is not a period" in fake_slack.told(unreadable.response_url)["text"]
    assert "&lt;@U1&gt;" in fake_slack.told(unreadable.response_url)["text"]
    assert "2024/25 closure" in fake_slack.told(whole_year.response_url)["text"]
    assert "Compiling the 2026/27 Q1 report" in fake_slack.told(future.response_url)["text"]
    assert "Compiling the 2024/25 Q3 report" in fake_slack.told(empty.response_url)["text"]
    wait_until(lambda: any("2026/27 Q1 has not started yet" in t
                           for t in response_texts(fake_slack))
               and any("nothing to report for 2024/25 Q3" in t for t in response_texts(fake_slack)),
               what="the two results")
    fake_slack.assert_no_call("chat.postMessage", within=0.3)


def test_compiling_an_unchanged_period_says_so_and_posts_nothing_new(
    served: ServedApp, fake_slack: FakeSlack
):
    compile_and_wait(served, fake_slack)
    wait_until(lambda: any("is posted" in t for t in response_texts(fake_slack)),
               what="the first result")

    again = served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD)

    assert again.status == 200
    texts = wait_until(lambda: [t for t in response_texts(fake_slack) if "unchanged" in t],
                       what="the unchanged message")
    assert "unchanged since the draft posted at 10:" in texts[0]
    assert "20 October 2024" in texts[0]
    assert f"<https://fake.slack.test/archives/{CHANNEL}/p" in texts[0]  # a link to the draft
    assert len(summaries(fake_slack, CHANNEL)) == 1
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1
    with session_scope(served.ctx.engine) as session:
        assert len(session.exec(select(CompiledReport)).all()) == 1
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "report.unchanged")).one().actor == LEAD
