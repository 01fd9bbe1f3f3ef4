"""Outbox rows as emails: the round email lists every deliverable, people's text is escaped in
the HTML part and left as written in the plain-text part, the personal link is made at sending
time, and rows that cannot become an email fail permanently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.context import AppContext
from bot.ports.messages import PermanentSendError, RecordedMessage
from bot.settings import load_settings
from handlers.email.messenger import EmailMessenger
from handlers.email.transports import SmtpTransport
from tests.support.mail import Mailbox, smtp_server

SECRET = "Hn4Wq8Zt1Ck6Rv3Lb9Mx2Pf7Js5Dg0Ya-unit-test"


@pytest.fixture
def messenger(engine) -> Iterator[tuple[EmailMessenger, Mailbox]]:
    settings = load_settings(public_url="https://ragtime.example.nhs.uk/", secret_key=SECRET)
    with smtp_server() as mailbox:
        transport = SmtpTransport(host=mailbox.host, port=mailbox.port, starttls=False,
                                  sender="Ragtime <ragtime@example.nhs.uk>")
        yield EmailMessenger(AppContext(settings=settings, engine=engine), transport), mailbox


def row(kind: str = "prompt", attempts: int = 1, **payload) -> RecordedMessage:
    values = {"to": "paul@example.nhs.uk", "person_name": "Paul <Sheldon>",
              "period": "2024/25 Q3", "deadline": "2025-01-15", "round_id": 3,
              "deliverables": [
                  {"deliverable_id": 8, "number": "GC-1", "area": "Estates & Facilities",
                   "title": "Fix <the> roof", "theme": "Great Care", "previous_rag": "amber",
                   "joint_sros": ["Jean O'Knight"]},
                  {"deliverable_id": 9, "number": "GC-2", "area": "", "title": "Net zero",
                   "theme": "Great Care", "previous_rag": None, "joint_sros": []}]}
    values.update(payload)
    return RecordedMessage(id=1, key=f"{kind}:key", kind=kind, payload=values,
                           attempts=attempts, person_id=4)


def test_the_round_email_lists_every_deliverable_and_escapes_html_only(messenger):
    email = messenger[0].email(row())

    assert email.subject == "Your 2024/25 Q3 progress updates are due by Wed 15 Jan 2025"
    assert "Dear Paul <Sheldon>," in email.text
    assert "- GC-1 Fix <the> roof\n  Great Care > Estates & Facilities; last quarter: Amber; " \
           "joint with Jean O'Knight" in email.text
    assert "- GC-2 Net zero\n  Great Care; last quarter: no update" in email.text
    assert "Dear Paul &lt;Sheldon&gt;," in email.html and "<Sheldon>" not in email.html
    assert "Fix &lt;the&gt; roof" in email.html and "Estates &amp; Facilities" in email.html
    assert "Jean O&#39;Knight" in email.html
    token = email.text.split("https://ragtime.example.nhs.uk/form/")[1].split()[0]
    assert URLSafeTimedSerializer(SECRET, salt="ragtime-form-link").loads(token) == {
        "p": 4, "r": 3}
    assert email.fields["link"] in email.html and email.fields["name"] == "Paul <Sheldon>"


def test_a_sent_email_is_where_the_outbox_says(messenger):
    sent = messenger[0].send(row())

    assert sent.channel == "email" and sent.ts.startswith("<ragtime-")
    email, = messenger[1].messages
    assert email["Message-ID"] == sent.ts and str(email["To"]) == "paul@example.nhs.uk"


@pytest.mark.parametrize(("message", "error"), [
    (row(kind="escalation"), "escalation messages are not sent by email"),
    (row(to="U0PAUL"), "has no email address"),
    (row(deliverables=None), "cannot render prompt"),
])
def test_rows_that_cannot_be_an_email_fail_permanently(messenger, message, error):
    with pytest.raises(PermanentSendError, match=error):
        messenger[0].send(message)
    assert messenger[1].messages == []


def test_a_cover_is_told_whom_they_answer_for(messenger):
    covered = row(deliverables=[
        {"deliverable_id": 8, "number": "GC-1", "area": "", "title": "Fix the roof",
         "theme": "Great Care", "previous_rag": None, "joint_sros": [],
         "on_behalf_of": "Sharon <Murphy>"}])
    email = messenger[0].email(covered)
    assert "covering for Sharon <Murphy> while they are away" in email.text
    assert "covering for Sharon &lt;Murphy&gt;</strong> while they are away" in email.html

    reminder = messenger[0].email(row("reminder", stage="5-days-before@2025-01-24",
                                      on_behalf_of="Sharon Murphy"))
    assert "You are covering for Sharon Murphy while they are away" in reminder.text
    assert "covering for <strong>Sharon Murphy</strong>" in reminder.html
    assert "Today" not in reminder.subject
