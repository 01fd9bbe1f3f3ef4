"""A whole round over Socket Mode: the governance lead opens it from the App Home, SROs answer by
the form and by thread reply, the lead checks ``/report-status``, compiles the report and
approves it — every step an envelope on the socket, each acknowledged, its outcome seen in what
the fake Slack Web API recorded and in the database."""

from __future__ import annotations

import json

from sqlmodel import select

from storage.db import session_scope
from storage.models import CompiledReport, Source
from tests.fakeslack.socket_mode import FakeSocketMode
from tests.scenario.conftest import (
    BHANU,
    JAMES,
    LEAD,
    OWNED,
    SHARON,
    Harness,
    blocks_text,
    elements,
)
from tests.scenario.reports.support import block_text, buttons, summaries, wait_until
from tests.support.socket_app import SocketServedApp

GOVERNANCE = "C0GOVERN"


def open_round_from_home(slack: Harness) -> None:
    """The lead opens the App Home and presses its "Open round" button."""
    assert slack.served.slack.open_home(LEAD).status == 200
    home = wait_until(lambda: slack.fake.homes.get(LEAD), what="the lead's App Home")
    [open_round] = [e for e in elements(home["blocks"]) if e.get("action_id") == "open_round"]
    response = slack.served.slack.click(
        [{**open_round, "block_id": "open_round", "action_ts": "1734688800.000100"}],
        user_id=LEAD, view={"id": home["id"], "type": "home"})
    assert response.status == 200 and response.body == ""


def status_text(slack: Harness) -> str:
    before = len(slack.fake.calls("response_url"))
    response = slack.served.slack.command("/report-status", "", user_id=LEAD)
    assert response.status == 200
    said = slack.fake.wait_for("response_url", before + 1)[before].params
    assert said["response_type"] == "ephemeral"
    return said["text"] + "\n" + blocks_text(said.get("blocks") or [])


def test_a_whole_round_over_socket_mode(slack: Harness, socket_mode: FakeSocketMode):
    served: SocketServedApp = slack.served  # type: ignore[assignment]
    open_round_from_home(slack)

    # Every SRO in Slack gets a prompt per deliverable, posted through the Web API.
    for user in (SHARON, BHANU, JAMES):
        wait_until(lambda user=user: len(slack.prompts(user)) == len(OWNED[user]),
                   what=f"{user}'s prompts")

    # Sharon answers one by the form (button → views.open → view_submission) ...
    slack.answer_by_form(SHARON, 1, "green", "Access policy implemented across all services.")
    assert slack.fake.calls("views.open")
    # ... and one by a thread reply (an events_api message.im envelope).
    answer = slack.answer_by_reply(SHARON, 2, "Green - directorate SOPs reviewed")
    assert "Recorded Green" in answer["text"]
    slack.answer_by_reply(JAMES, 5, "G: group university status on track")

    assert (slack.latest(1).source, slack.latest(1).rag) == (Source.modal, "green")
    assert (slack.latest(2).source, slack.latest(2).narrative) == (
        Source.thread, "directorate SOPs reviewed")
    assert slack.latest(5).submitted_by_slack_id == JAMES
    assert [len(slack.versions(d)) for d in (1, 2, 5)] == [1, 1, 1]

    # The lead asks where the round stands.
    assert "3 of 17" in status_text(slack)

    # The lead compiles the draft report: the worker says so, the summary and files follow.
    compiled = served.slack.command("/compile-report", "2024/25 Q3", user_id=LEAD)
    assert compiled.status == 200
    assert "Compiling the 2024/25 Q3 report" in slack.fake.told(compiled.response_url)["text"]
    slack.fake.wait_for("files.completeUploadExternal", timeout=60)
    [summary] = [c for c in summaries(slack.fake, GOVERNANCE)
                 if "Draft board report: 2024/25 Q3" in block_text(c.json_param("blocks"))]
    draft = summary.json_param("blocks")

    # ... and approves it with the summary's button.
    report_id = buttons(draft)["report_approve"]
    approved = served.slack.click(
        [{"type": "button", "action_id": "report_approve", "block_id": "report_actions",
          "value": report_id, "text": {"type": "plain_text", "text": "Approve"},
          "action_ts": "1734688900.000100"}],
        user_id=LEAD, channel_id=GOVERNANCE, message_ts=summary.response["ts"])
    assert approved.status == 200
    shown = wait_until(lambda: [
        block_text(c.json_param("blocks")) for c in slack.fake.calls("chat.update")
        if c.params.get("ts") == summary.response["ts"] and "Approved" in json.dumps(c.params)],
        what="the approved summary")
    assert "*Approved* by <@U0LEAD>" in shown[-1]
    with session_scope(slack.engine) as session:
        report = session.exec(select(CompiledReport)).one()
    assert (report.status, report.decided_by) == ("approved", LEAD)

    # Every envelope was acknowledged, over the one connection, and none was redelivered.
    assert socket_mode.sent and all(socket_mode.ack_for(e) for e, _ in socket_mode.sent)
    assert {number for _, number in socket_mode.sent} == {1}
    assert len(socket_mode.connections()) == 1
    assert len(slack.fake.attempts("apps.connections.open")) == 1
    kinds = {e.type for e, _ in socket_mode.sent}
    assert kinds == {"events_api", "interactive", "slash_commands"}
