"""``ragtime round open`` killed (``kill -9``) after the email transport accepted a round email
and before the outbox marked it sent.

GOV.UK Notify: the next attempt asks Notify for a notification with the row's ``reference`` (the
outbox key) and finds it, so nothing is sent twice. SMTP cannot be asked: the email is sent
again, at least once, with the same Message-ID (what the README says).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.messaging.outbox import CLAIM_BATCH
from tests.fakenotify import FakeNotify, fake_notify  # noqa: F401
from tests.fakenotify.server import API_KEY, TEMPLATE_ID
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.hardening.test_faults_kill import (
    GOVERNANCE,
    Q3,
    finish,
    kill_when,
    lease_passes,
    outbox,
)
from tests.paths import ROOT
from tests.scenario.conftest import LEAD
from tests.scenario.email.conftest import (
    DAVID_EMAIL,
    EMAIL_FROM,
    PAUL_EMAIL,
    PUBLIC_URL,
    SECRET,
    email_world,
)
from tests.support.mail import smtp_server

pytestmark = pytest.mark.slow


def ragtime(*args: str, fake: FakeSlack, database_url: str, cwd: Path,
            email: dict[str, str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env.update({
        "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url, "RAGTIME_GOVERNANCE_CHANNEL": GOVERNANCE,
        "RAGTIME_GOVERNANCE_LEADS": LEAD, "RAGTIME_EMAIL_FROM": EMAIL_FROM,
        "RAGTIME_PUBLIC_URL": PUBLIC_URL, "RAGTIME_SECRET_KEY": SECRET, **email,
    })
    return subprocess.Popen([sys.executable, "-m", "ragtime.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def open_killed_after_first_email(accepted, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Open the round and kill the process once the transport has accepted one email (whose
    answer the transport holds back)."""
    opening = ragtime("round", "open", Q3, **kwargs)
    kill_when(opening, lambda: accepted() >= 1)


def test_notify_kill_between_send_and_mark_sends_no_duplicate(
    fake_slack: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path,
    fake_notify: FakeNotify,  # noqa: F811
):
    email_world(fake_slack, engine, tmp_path)
    env = {"RAGTIME_EMAIL_TRANSPORT": "notify", "RAGTIME_NOTIFY_API_KEY": API_KEY,
           "RAGTIME_NOTIFY_TEMPLATE_ID": TEMPLATE_ID, "RAGTIME_NOTIFY_BASE_URL": fake_notify.url}
    run = {"fake": fake_slack, "database_url": sqlite_url, "cwd": tmp_path, "email": env}
    fake_notify.hold_seconds = 30  # accepted, answered too late: the kill lands in between

    open_killed_after_first_email(lambda: len(fake_notify.sent), **run)

    assert 1 <= outbox(engine)["sending"] <= CLAIM_BATCH and len(fake_notify.sent) == 1
    fake_notify.hold_seconds = 0
    lease_passes(engine)
    finish(ragtime("round", "open", Q3, **run))

    assert Counter(n["email_address"] for n in fake_notify.sent) == {PAUL_EMAIL: 1,
                                                                     DAVID_EMAIL: 1}
    assert fake_notify.sent[0]["reference"] in fake_notify.lookups  # asked before resending
    assert outbox(engine) == Counter({"sent": 17})


def test_smtp_kill_between_send_and_mark_sends_again_with_the_same_message_id(
    fake_slack: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path,
):
    email_world(fake_slack, engine, tmp_path)
    with smtp_server() as mailbox:
        env = {"RAGTIME_EMAIL_TRANSPORT": "smtp", "RAGTIME_SMTP_HOST": mailbox.host,
               "RAGTIME_SMTP_PORT": str(mailbox.port), "RAGTIME_SMTP_STARTTLS": "false"}
        run = {"fake": fake_slack, "database_url": sqlite_url, "cwd": tmp_path, "email": env}
        mailbox.hold_seconds = 30

        open_killed_after_first_email(lambda: len(mailbox.messages), **run)

        assert 1 <= outbox(engine)["sending"] <= CLAIM_BATCH
        first = mailbox.messages[0]
        mailbox.hold_seconds = 0
        lease_passes(engine)
        finish(ragtime("round", "open", Q3, **run))
        time.sleep(0.2)
        copies = mailbox.to(str(first["To"]))

    assert len(copies) == 2  # at-least-once: SMTP cannot be asked what it already took
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    other = DAVID_EMAIL if str(first["To"]) == PAUL_EMAIL else PAUL_EMAIL
    assert Counter(str(m["To"]) for m in mailbox.messages) == {str(first["To"]): 2, other: 1}
    assert outbox(engine) == Counter({"sent": 17})


