"""A decision button whose payload carries no ``response_url`` (a click in a modal or the Home
tab, or a payload someone made up) is answered another way: never a traceback, never an inbox
item given up. Over HTTP, signed as Slack signs, against the fake Slack."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from handlers.slack.blocks.report import APPROVE, NOT_OURS, REOPEN
from storage.db import session_scope
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, InboxStatus
from tests.fakeslack import FakeSlack
from tests.scenario.reports.conftest import LEAD
from tests.scenario.reports.support import wait_until
from tests.support.served_app import ServedApp
from tests.support.slack_requests import block_actions, button

OUTSIDER = "U0NOTLEAD"


def _press(served: ServedApp, action_id: str, value: str, user: str) -> None:
    request = block_actions([button(action_id, value, block_id="report_actions")],
                            user_id=user, view={"id": "V0HOME", "type": "home"})
    assert "response_url" not in request.body
    assert served.slack.send(request).status == 200


def _dms_to(fake: FakeSlack, user: str) -> list[str]:
    return [str(call.params.get("text") or "") for call in fake.calls("chat.postMessage")
            if call.params.get("channel") in (user, fake.dm_channel_for(user))]


@pytest.mark.parametrize("action_id", [APPROVE, REOPEN])
def test_a_foreign_value_without_response_url_is_refused_by_dm(
    served: ServedApp, fake_slack: FakeSlack, action_id: str, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING):
        _press(served, action_id, "not-a-report", LEAD)
        served.settle()
        wait_until(lambda: _dms_to(fake_slack, LEAD))
    assert any(NOT_OURS in text for text in _dms_to(fake_slack, LEAD))
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    with session_scope(inbox_engine(served.ctx.engine)) as session:
        statuses = {item.status for item in session.exec(select(InboxItem))}
    assert statuses == {InboxStatus.done}


def test_a_non_lead_without_response_url_is_refused_by_dm(
    served: ServedApp, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    fake_slack.add_user(OUTSIDER, email="outsider@example.nhs.uk", name="outsider")
    with caplog.at_level(logging.WARNING):
        _press(served, APPROVE, "1", OUTSIDER)
        served.settle()
        wait_until(lambda: _dms_to(fake_slack, OUTSIDER))
    assert any("only governance leads" in text for text in _dms_to(fake_slack, OUTSIDER))
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
