"""The same email round through GOV.UK Notify (the local fake, which checks the client's JWT),
on SQLite and PostgreSQL: one notification per email SRO, its ``reference`` the outbox key and
its personalisation what the documented template uses."""

from __future__ import annotations

from sqlmodel import select

from storage.db import session_scope
from storage.models import OutboxMessage
from tests.fakenotify import FakeNotify
from tests.scenario.conftest import Harness
from tests.scenario.email.conftest import DAVID_EMAIL, PAUL_EMAIL, PUBLIC_URL


def test_a_round_by_notify_sends_one_notification_per_email_sro(
    by_notify: Harness, fake_notify: FakeNotify,
):
    summary = by_notify.open_round()

    assert summary.delivery.sent == 17 and not summary.problems
    assert not fake_notify.refused and fake_notify.lookups == []  # first attempts: no lookup
    with session_scope(by_notify.engine) as session:
        keys = {row.payload["to"]: row.key for row in session.exec(
            select(OutboxMessage).where(OutboxMessage.via == "email")).all()}
    for address in (PAUL_EMAIL, DAVID_EMAIL):
        sent, = fake_notify.to(address)
        assert sent["reference"] == keys[address]
        fields = sent["personalisation"]
        assert set(fields) == {"subject", "body", "name", "period", "link"}
        assert fields["subject"] == ("Your 2024/25 Q3 progress updates are due by "
                                     "Wed 15 Jan 2025")
        assert fields["link"].startswith(f"{PUBLIC_URL}/form/")
        assert fields["link"] in fields["body"] and fields["period"] == "2024/25 Q3"

    by_notify.open_round()
    assert len(fake_notify.sent) == 2
