"""A round of the bundled example with two SROs on email, through the outbox to a real SMTP
server: one email each listing their deliverables with last quarter's RAG, the deadline and a
personal link; reminders the same way; a refused address told to the governance channel; the
channel shown in ``round status``, ``round links`` and the leads' status; the paper's "No update
received" naming them until they answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from bot.collection.flows import remind_outstanding, round_status_text
from bot.collection.round_links import round_links
from bot.collection.rounds import find_round
from bot.collection.updates import latest_updates
from bot.framework.importer import import_file
from bot.messaging.flows import deliver_outbox
from bot.ports.reports import PostedMessage, Target
from bot.reports.compile import compile_report
from bot.reports.decisions import ask_for_changes
from bot.reports.records import mark_posted, prepare_draft, record_compile
from bot.settings import SettingsError
from ragtime.wiring import slack_context
from storage.db import session_scope
from storage.models import Deliverable
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.paths import ROOT
from tests.scenario.conftest import LEAD, NOW, OWNED, PAUL, Q2, Q3, Harness, blocks_text
from tests.scenario.email.conftest import (
    DAVID_EMAIL,
    EMAIL_FROM,
    PAUL_EMAIL,
    PUBLIC_URL,
    SECRET,
    email_world,
    person_id,
)
from tests.scenario.test_home_and_status import _home, _status
from tests.support.mail import Mailbox, part
from tests.support.served_app import serve, settings_for, stop
from tests.support.web_form import form_fields

LINK = re.compile(re.escape(PUBLIC_URL) + r"/form/([A-Za-z0-9_.\-]+)")


def link_in(text: str) -> dict:
    found = LINK.findall(text)
    assert len(set(found)) == 1, found
    return URLSafeTimedSerializer(SECRET, salt="ragtime-form-link").loads(found[0])


def titles(harness: Harness, ids: list[int]) -> list[str]:
    with session_scope(harness.engine) as session:
        return [session.get(Deliverable, i).title for i in ids]


def test_each_email_sro_gets_one_email_listing_their_deliverables_and_link(
    by_smtp: Harness, mailbox: Mailbox,
):
    summary = by_smtp.open_round()

    # 15 Slack prompts (one per deliverable) and one email each for Paul and David
    assert summary.prompts_recorded == 17 and summary.delivery.sent == 17
    assert not summary.problems
    assert by_smtp.prompts(PAUL) == []  # switched to email: nothing in Slack
    assert len(mailbox.messages) == 2
    with session_scope(by_smtp.engine) as session:
        round_id = find_round(session, Q3).id
        before = latest_updates(session, Q2)
    for address, owned in ((PAUL_EMAIL, OWNED[PAUL]), (DAVID_EMAIL, [16, 17])):
        email, = mailbox.to(address)
        text, html = part(email, "plain"), part(email, "html")
        assert email["Subject"] == "Your 2024/25 Q3 progress updates are due by Wed 15 Jan 2025"
        assert "by Wed 15 Jan 2025" in text and f"for {len(owned)} deliverables" in text
        for deliverable_id, title in zip(owned, titles(by_smtp, owned), strict=True):
            rag = before[deliverable_id].rag.value.capitalize()
            assert re.search(rf"- \S+ {re.escape(title)}\n  .*; last quarter: {rag}", text)
            assert title.replace("&", "&amp;") in html
        assert link_in(text) == link_in(html) == {"p": person_id(by_smtp.engine, address),
                                                  "r": round_id}
        assert email["From"] == "Ragtime <ragtime@example.nhs.uk>"

    again = by_smtp.open_round()
    assert again.prompts_recorded == 0 and len(mailbox.messages) == 2  # never twice


def test_the_channel_shows_in_round_status_round_links_and_the_leads_status(
    by_smtp: Harness, mailbox: Mailbox,
):
    by_smtp.open_round()

    status = round_status_text(by_smtp.ctx, Q3)
    assert "(Paul Sheldon: email)" in status and "(David Williams: email)" in status
    assert "(Sharon Murphy: Slack)" in status
    links = str(round_links(by_smtp.ctx, Q3))
    assert "Paul Sheldon, Group Chief Finance Officer: email; link emailed Fri 20 Dec 2024 " \
           "10:00" in links
    assert "Sharon Murphy, Director of Finance: Slack; no link (prompted in Slack)" in links
    assert "/form/" not in links  # never the link itself unless asked
    shown = str(round_links(by_smtp.ctx, Q3, show=True))
    assert shown.count(f"{PUBLIC_URL}/form/") == 2
    # What the governance lead sees in Slack: the App Home and /report-status
    home = home_of(by_smtp, LEAD)
    status_reply = report_status(by_smtp, LEAD)
    for shown in (home, status_reply):
        assert "Paul Sheldon (by email)" in shown and "David Williams (by email)" in shown
        assert "Sharon Murphy" in shown and "Sharon Murphy (by" not in shown


def test_reminders_email_each_outstanding_sro_once(by_smtp: Harness, mailbox: Mailbox):
    by_smtp.mailbox = mailbox  # type: ignore[attr-defined]
    by_smtp.open_round()
    answer_by_email(by_smtp, DAVID_EMAIL, 16)

    summary = remind_outstanding(by_smtp.ctx, Q3, stage="5-days-before")
    again = remind_outstanding(by_smtp.ctx, Q3, stage="5-days-before")

    assert summary.delivery.failed == 0 and again.reminders_recorded == 0, str(summary)
    paul = [m for m in mailbox.to(PAUL_EMAIL) if m["Subject"].startswith("Reminder")]
    david = [m for m in mailbox.to(DAVID_EMAIL) if m["Subject"].startswith("Reminder")]
    assert len(paul) == 1 and len(david) == 1
    assert paul[0]["Subject"] == "Reminder: 3 2024/25 Q3 updates still to give"
    text = part(david[0], "plain")
    assert titles(by_smtp, [17])[0] in text and titles(by_smtp, [16])[0] not in text
    assert link_in(text)["p"] == person_id(by_smtp.engine, DAVID_EMAIL)


def test_a_refused_address_is_told_to_the_governance_channel(by_smtp: Harness,
                                                           mailbox: Mailbox):
    mailbox.refuse = {DAVID_EMAIL: "550 5.1.1 mailbox unavailable"}

    summary = by_smtp.open_round()

    assert summary.delivery.failed == 1 and summary.governance_told
    problem, = summary.undelivered
    assert problem.who == "David Williams" and "550 5.1.1 mailbox unavailable" in problem.what
    notices = [m for m in by_smtp.fake.messages_in("C0GOVERN")]
    assert any("David Williams" in blocks_text(m.get("blocks") or []) and
               "550 5.1.1" in blocks_text(m.get("blocks") or []) for m in notices)
    assert "1 prompt(s)/reminder(s) could not be delivered" in round_status_text(by_smtp.ctx, Q3)
    # Fixed (the address now takes mail): opening again sends David his one email.
    mailbox.refuse = {}
    again = by_smtp.open_round()
    assert again.delivery.sent == 1 and len(mailbox.to(DAVID_EMAIL)) == 1


def test_a_deferred_address_is_left_pending_and_sent_on_the_next_run(by_smtp: Harness,
                                                                    mailbox: Mailbox):
    mailbox.refuse = {DAVID_EMAIL: "451 4.3.0 try again later"}

    summary = by_smtp.open_round()

    assert summary.delivery.skipped == 1 and summary.delivery.failed == 0
    assert not summary.governance_told and mailbox.to(DAVID_EMAIL) == []
    mailbox.refuse = {}
    later = deliver_outbox(by_smtp.ctx)  # the scheduler's every-minute job
    assert later.sent == 1 and len(mailbox.to(DAVID_EMAIL)) == 1


def test_changes_requested_reach_an_email_sro_by_email_with_their_text_escaped(
    by_smtp: Harness, mailbox: Mailbox,
):
    by_smtp.open_round()
    engine = by_smtp.engine
    draft = prepare_draft(engine, Target.quarter(Q3), today=date(2025, 1, 16))
    report = record_compile(engine, draft, content_hash=draft.content_hash, by=LEAD, at=NOW)
    mark_posted(engine, report.id, PostedMessage("C0GOVERN", "1.000001", "summary", []))

    ask_for_changes(by_smtp.ctx, report.id, by=LEAD, deliverable_ids=[8],
                    comment="Add the <b>dates</b> & the owners")

    email, = [m for m in mailbox.to(PAUL_EMAIL) if m["Subject"].startswith("Changes")]
    assert "Add the <b>dates</b> & the owners" in part(email, "plain")
    html = part(email, "html")
    assert "Add the &lt;b&gt;dates&lt;/b&gt; &amp; the owners" in html and "<b>dates" not in html
    assert link_in(part(email, "plain"))["p"] == person_id(engine, PAUL_EMAIL)


def test_the_paper_names_email_sros_who_have_not_replied_until_they_answer(
    by_smtp: Harness, mailbox: Mailbox, tmp_path: Path,
):
    by_smtp.mailbox = mailbox  # type: ignore[attr-defined]
    by_smtp.open_round()
    assert {"Paul Sheldon", "David Williams"} <= chasers(by_smtp, tmp_path / "before")

    for deliverable in (16, 17):
        answer_by_email(by_smtp, DAVID_EMAIL, deliverable)

    after = chasers(by_smtp, tmp_path / "after")
    assert "Paul Sheldon" in after and "David Williams" not in after
    confirmations = [m for m in mailbox.to(DAVID_EMAIL) if m["Subject"].startswith("Received")]
    assert len(confirmations) == 2
    assert "We have recorded Green for" in part(confirmations[0], "plain")


# ------------------------------------------------------------------------------ helpers

def home_of(harness: Harness, user: str) -> str:
    return blocks_text(_home(harness, user)["blocks"])


def report_status(harness: Harness, user: str) -> str:
    return _status(harness, user, "2024/25 Q3")


def answer_by_email(harness: Harness, address: str, deliverable_id: int) -> None:
    """The SRO follows the personal link in their round email, answers on the web form served
    by Ragtime (real HTTP) and gets the confirmation email the worker sends."""
    mailbox: Mailbox = harness.mailbox  # type: ignore[attr-defined]
    invitation = next(m for m in mailbox.to(address) if "/form/" in part(m, "plain"))
    link = LINK.search(part(invitation, "plain"))
    assert link is not None
    url = harness.served.url + "/form/" + link.group(1)  # the public URL, as served here
    page = _fetch(urllib.request.Request(url))
    fields = form_fields(page)
    confirmations = len([m for m in mailbox.to(address) if m["Subject"].startswith("Received")])
    answered = _fetch(urllib.request.Request(url, method="POST", data=urllib.parse.urlencode({
        "form_token": fields["form_token"], f"d{deliverable_id}-rag": "green",
        f"d{deliverable_id}-narrative": "On track, answered by email.",
        f"d{deliverable_id}-change_reason": "The works finished early."}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"}))
    problems = re.findall(r'error-summary__list">(.*?)</ul>', answered, re.S)
    assert not problems, re.sub(r"<[^>]+>", " ", problems[0])
    harness.served.settle()  # the worker sends the confirmation email
    deadline = time.monotonic() + 10
    while len([m for m in mailbox.to(address)
               if m["Subject"].startswith("Received")]) <= confirmations:
        assert time.monotonic() < deadline, "no confirmation email"
        time.sleep(0.05)


def _fetch(request: urllib.request.Request) -> str:
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def chasers(harness: Harness, out: Path) -> set[str]:
    """The people the compiled paper's "No update received" names."""
    with session_scope(harness.engine) as session:
        files = compile_report(session, Q3, out, formats=("md",))
    text = files.paths["md"].read_text(encoding="utf-8")
    section = text.split("### No update received", 1)[1].split("\n#", 1)[0]
    return {line[2:].split(",")[0].split(":")[0] for line in section.splitlines()
            if line.startswith("- ")}


def test_an_email_sro_without_email_settings_stops_the_opening_naming_the_setting(
    fake_slack: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path,  # noqa: F811
):
    email_world(fake_slack, engine, tmp_path)  # Paul's channel is email; nothing configured
    app = serve(settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD), fake_slack,
                engine=engine, clock=lambda: NOW)
    try:
        with pytest.raises(SettingsError, match="RAGTIME_EMAIL_TRANSPORT, RAGTIME_EMAIL_FROM"):
            Harness(app).open_round()
    finally:
        stop(app)
    with session_scope(engine) as session:
        assert find_round(session, Q3) is None  # nothing kept: fix the settings, open again
    assert fake_slack.calls("chat.postMessage") == []


def test_a_transport_missing_its_settings_stops_start_up_naming_them(
    fake_slack: FakeSlack, sqlite_url: str,  # noqa: F811
):
    settings = settings_for(fake_slack, sqlite_url, email_transport="notify",
                            email_from=EMAIL_FROM, public_url=PUBLIC_URL, secret_key=SECRET)
    with pytest.raises(SettingsError, match="RAGTIME_NOTIFY_API_KEY, RAGTIME_NOTIFY_TEMPLATE"):
        slack_context(settings)


def test_round_links_command_lists_channels_and_shows_links_only_when_asked(
    by_smtp: Harness, mailbox: Mailbox, sqlite_url: str, tmp_path: Path,
):
    by_smtp.open_round()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": sqlite_url,
                "RAGTIME_EMAIL_TRANSPORT": "smtp", "RAGTIME_SMTP_HOST": mailbox.host,
                "RAGTIME_EMAIL_FROM": EMAIL_FROM, "RAGTIME_PUBLIC_URL": PUBLIC_URL,
                "RAGTIME_SECRET_KEY": SECRET})

    def links(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "ragtime.cli", "round", "links", "Q3 2024/25",
                               *extra], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    listed = links()
    assert "2024/25 Q3: 7 SRO(s)" in listed
    assert "David Williams, Executive Director of Strategy and Partnerships: email; link " \
           "emailed Fri 20 Dec 2024 10:00" in " ".join(listed.split())
    assert "Jean Knight, Deputy CEO: Slack; no link (prompted in Slack)" in listed
    assert "/form/" not in listed
    shown = links("--show")
    shown_links = [link_in(line) for line in shown.splitlines() if "/form/" in line]
    assert sorted(link["p"] for link in shown_links) == sorted(
        person_id(by_smtp.engine, address) for address in (PAUL_EMAIL, DAVID_EMAIL))
    assert {link["r"] for link in shown_links} == {round_id(by_smtp)}


def round_id(harness: Harness) -> int:
    with session_scope(harness.engine) as session:
        return find_round(session, Q3).id


def test_a_deliverable_added_later_sends_one_new_email_listing_them_all(
    by_smtp: Harness, mailbox: Mailbox, tmp_path: Path,
):
    by_smtp.open_round()
    marker = "        sro: psheldon\n      - ref: gc-resilience-1\n"
    path = tmp_path / "sutg.yaml"
    text = path.read_text(encoding="utf-8")
    assert marker in text
    path.write_text(text.replace(marker, (
        "        sro: psheldon\n"
        "      - ref: gc-environment-4\n        number: \"4\"\n"
        "        area: Environment & Sustainability\n"
        "        title: Open the new Loughborough wellbeing centre\n"
        "        sro: psheldon\n      - ref: gc-resilience-1\n")), encoding="utf-8")
    import_file(by_smtp.engine, path)

    again = by_smtp.open_round()

    assert again.prompts_recorded == 1 and len(mailbox.to(PAUL_EMAIL)) == 2
    latest = part(mailbox.to(PAUL_EMAIL)[-1], "plain")
    assert "for 4 deliverables" in latest
    assert "Open the new Loughborough wellbeing centre" in latest
    assert len(mailbox.to(DAVID_EMAIL)) == 1  # nothing new for David

    path.write_text(text, encoding="utf-8")  # the new one retired again: no email for that
    import_file(by_smtp.engine, path, replace=True)  # during an open round: --replace
    assert by_smtp.open_round().prompts_recorded == 0 and len(mailbox.to(PAUL_EMAIL)) == 2
