"""The BAF risk owner's emails: the round's email lists their risks with last quarter's score
and the target, the reminder lists those still to return; both carry the personal link made at
sending time, and people's and the framework's text is escaped in the HTML part only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.context import AppContext
from bot.ports.messages import RecordedMessage
from bot.settings import load_settings
from handlers.email.messenger import EmailMessenger
from handlers.email.transports import SmtpTransport
from tests.support.mail import smtp_server

SECRET = "Gq7vT2mXk9Lp4RzW8nYc3HdJ6sFa1BeU5tQo0iN"  # random-looking, as start-up demands
RISKS = [{"risk_id": 3, "number": "03", "title": "Estate <not> fit & safe", "theme": "Great Care",
          "previous_score": 12, "target": 8},
         {"risk_id": 5, "number": "05", "title": "Resilience", "theme": "Great Care",
          "previous_score": None, "target": None}]


@pytest.fixture
def messenger(engine) -> Iterator[EmailMessenger]:
    settings = load_settings(public_url="https://ragtime.example.nhs.uk/", secret_key=SECRET)
    with smtp_server() as mailbox:
        transport = SmtpTransport(host=mailbox.host, port=mailbox.port, starttls=False,
                                  sender="Ragtime <ragtime@example.nhs.uk>")
        yield EmailMessenger(AppContext(settings=settings, engine=engine), transport)


def row(kind: str, risks: list[dict]) -> RecordedMessage:
    return RecordedMessage(id=1, key=f"{kind}:key", kind=kind, attempts=1, person_id=4, payload={
        "to": "paul@example.nhs.uk", "person_name": "Paul <Sheldon>", "period": "2024/25 Q3",
        "deadline": "2025-01-15", "round_id": 3, "risks": risks})


def test_the_round_email_lists_the_owners_risks_with_their_link(messenger):
    email = messenger.email(row("risk_prompt", RISKS))
    assert email.subject == "Your 2024/25 Q3 BAF risk returns are due by Wed 15 Jan 2025"
    assert "- BAF 03 Estate <not> fit & safe\n  Great Care; last quarter's score: 12; " \
           "target: 8" in email.text
    assert "- BAF 05 Resilience\n  Great Care; last quarter's score: none; target: not set" \
        in email.text
    assert "one button confirms last quarter's return" in email.text
    assert "Estate &lt;not&gt; fit &amp; safe" in email.html and "<not>" not in email.html
    token = email.text.split("https://ragtime.example.nhs.uk/form/")[1].split()[0]
    assert URLSafeTimedSerializer(SECRET, salt="ragtime-form-link").loads(token) == {
        "p": 4, "r": 3}


def test_the_reminder_lists_the_risks_still_to_return(messenger):
    email = messenger.email(row("risk_reminder", RISKS[:1]))
    assert email.subject == "Reminder: 1 2024/25 Q3 BAF risk return still to give"
    assert "- BAF 03 Estate <not> fit & safe" in email.text
    assert "https://ragtime.example.nhs.uk/form/" in email.text
    assert "<strong>BAF 03</strong> Estate &lt;not&gt; fit &amp; safe" in email.html
