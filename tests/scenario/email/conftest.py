"""An email round of the bundled example: Paul Sheldon switched to email in the framework file
(``channel: email``), David Williams (not in Slack) reached by email because his channel is
``auto``; everyone else on Slack. Ragtime is served against the fake Slack, with a real SMTP
server (aiosmtpd on loopback) or the fake GOV.UK Notify as the email transport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.framework.example import EXAMPLE_FRAMEWORK
from bot.framework.importer import import_file
from storage.db import session_scope
from storage.models import Person
from tests.fakenotify import FakeNotify, fake_notify  # noqa: F401
from tests.fakenotify.server import API_KEY, TEMPLATE_ID
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import IN_SLACK, LEAD, NOW, Harness
from tests.support.example_db import load_example_into
from tests.support.mail import Mailbox, smtp_server
from tests.support.served_app import serve, settings_for, stop

PAUL_EMAIL = "paul.sheldon@example.nhs.uk"  # deliverables 8-10, switched to email
DAVID_EMAIL = "david.williams@example.nhs.uk"  # 16-17, not in Slack: auto means email
PUBLIC_URL = "https://ragtime.example.nhs.uk"
SECRET = "Vb7Qe2Lz9Rk4Tw1Yh6Nc3Jm8Pa5Sd0Xf-email-links"
EMAIL_FROM = "Ragtime <ragtime@example.nhs.uk>"


def paul_on_email(folder: Path) -> Path:
    """The bundled framework file with ``channel: email`` added to Paul Sheldon, as a
    governance lead would edit it."""
    text = EXAMPLE_FRAMEWORK.read_text(encoding="utf-8")
    marker = "    email: paul.sheldon@example.nhs.uk\n"
    assert marker in text
    path = folder / "sutg.yaml"
    path.write_text(text.replace(marker, marker + "    channel: email\n"), encoding="utf-8")
    return path


def person_id(engine: Engine, email: str) -> int:
    with session_scope(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        return person.id or 0


def email_world(fake: FakeSlack, engine: Engine, folder: Path) -> None:
    load_example_into(engine)
    import_file(engine, paul_on_email(folder))
    for user, email in IN_SLACK.items():
        fake.add_user(user, email=email)


def smtp_settings(mailbox: Mailbox) -> dict[str, object]:
    return {"email_transport": "smtp", "smtp_host": mailbox.host, "smtp_port": mailbox.port,
            "smtp_starttls": False, "email_from": EMAIL_FROM, "public_url": PUBLIC_URL,
            "secret_key": SECRET}


def notify_settings(fake: FakeNotify) -> dict[str, object]:
    return {"email_transport": "notify", "notify_api_key": API_KEY,
            "notify_template_id": TEMPLATE_ID, "notify_base_url": fake.url,
            "email_from": EMAIL_FROM, "public_url": PUBLIC_URL, "secret_key": SECRET}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def by_smtp(fake_slack: FakeSlack, engine: Engine, sqlite_url: str, mailbox: Mailbox,
            tmp_path: Path) -> Iterator[Harness]:
    email_world(fake_slack, engine, tmp_path)
    settings = settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD,
                            **smtp_settings(mailbox))
    app = serve(settings, fake_slack, engine=engine, clock=lambda: NOW)
    try:
        yield Harness(app)
    finally:
        stop(app)


@pytest.fixture
def by_notify(fake_slack: FakeSlack, any_engine: Engine, fake_notify: FakeNotify,  # noqa: F811
              tmp_path: Path) -> Iterator[Harness]:
    email_world(fake_slack, any_engine, tmp_path)
    settings = settings_for(fake_slack, str(any_engine.url), governance_leads_raw=LEAD,
                            **notify_settings(fake_notify))
    app = serve(settings, fake_slack, engine=any_engine, clock=lambda: NOW)
    try:
        yield Harness(app)
    finally:
        stop(app)
