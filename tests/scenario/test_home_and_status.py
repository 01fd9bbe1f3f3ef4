"""The App Home tab and ``/report-status``, for SROs, governance leads and anyone else."""

from __future__ import annotations

import dataclasses
import json

from bot.framework.permissions import is_governance_lead
from tests.scenario.conftest import (
    LEAD,
    OUTSIDER,
    PAUL,
    SARAH,
    SHARON,
    Harness,
    blocks_text,
    elements,
)
from tests.support.served_app import settings_for


def _home(slack: Harness, user: str) -> dict:
    before = len(slack.fake.calls("views.publish"))
    assert slack.served.slack.open_home(user).status == 200
    slack.fake.wait_for("views.publish", before + 1)
    return slack.fake.homes[user]


def _status(slack: Harness, user: str, text: str = "") -> str:
    before = len(slack.fake.calls("response_url"))
    response = slack.served.slack.command("/report-status", text, user_id=user,
                                          response_url=slack.fake.response_url())
    assert response.status == 200
    said = slack.fake.wait_for("response_url", before + 1)[before].params
    assert said["response_type"] == "ephemeral"
    return said["text"] + "\n" + blocks_text(said.get("blocks") or [])


def test_an_sro_sees_their_deliverables_with_status_and_a_button_each(opened: Harness):
    opened.answer_by_form(SHARON, 1, "green", "Policy adopted.")

    home = _home(opened, SHARON)

    shown = blocks_text(home["blocks"])
    assert "2024/25 Q3: round open, deadline Wed 15 Jan 2025" in shown
    assert "3 of 4 still to report" in shown and "Green" in shown and "Outstanding" in shown
    buttons = [e for e in elements(home["blocks"]) if e.get("type") == "button"
               and e.get("action_id") == "open_update"]  # not "Record an absence"
    assert [json.loads(b["value"])["d"] for b in buttons] == [1, 2, 3, 4]
    assert [b["text"]["text"] for b in buttons][:2] == ["Change update", "Submit update"]
    assert "Round progress" not in shown  # leads only


def test_updating_from_the_home_tab_refreshes_it(opened: Harness):
    home = _home(opened, SHARON)
    value = json.loads([e for e in elements(home["blocks"]) if e.get("type") == "button"][1][
        "value"])
    form = opened.click(SHARON, json.dumps(value), view={"id": home["id"], "type": "home"})
    publishes = len(opened.fake.calls("views.publish"))

    with opened.follow_up(2):
        opened.submit(SHARON, form, rag="green", narrative="SOPs reviewed.")

    opened.fake.wait_for("views.publish", publishes + 1)
    assert "2 of 4 still to report" not in blocks_text(opened.fake.homes[SHARON]["blocks"])
    assert "3 of 4 still to report" in blocks_text(opened.fake.homes[SHARON]["blocks"])


def test_a_lead_opens_the_round_from_the_home_tab_and_sees_its_progress(slack: Harness):
    home = _home(slack, LEAD)
    opener = next(e for e in elements(home["blocks"]) if e.get("action_id") == "open_round")
    assert opener["text"]["text"] == "Open round for 2024/25 Q3"

    posts = len(slack.fake.calls("chat.postMessage"))
    publishes = len(slack.fake.calls("views.publish"))
    slack.served.slack.click([{"type": "button", "action_id": "open_round", "block_id": "x",
                               "value": opener["value"], "action_ts": "1.1"}], user_id=LEAD,
                             view={"id": home["id"], "type": "home"})
    slack.fake.wait_for("views.publish", publishes + 1)

    assert len(slack.prompts(SHARON)) == 4
    told = [c for c in slack.fake.calls("chat.postMessage")[posts:]
            if c.params["channel"] == LEAD]
    assert "The 2024/25 Q3 round is now open" in told[-1].params["text"]
    assert "David Williams" in blocks_text(told[-1].json_param("blocks"))
    shown = blocks_text(slack.fake.homes[LEAD]["blocks"])
    assert "0 of 17" in shown and "Open round for" not in shown
    assert "Great Outcomes: 0 of 7 answered" in shown


def test_a_lead_sees_who_is_outstanding_by_theme(opened: Harness):
    opened.answer_by_form(PAUL, 8, "green", "Standard implemented.")

    said = _status(opened, LEAD)

    assert "1 of 17 answered, 16 outstanding" in said
    assert "*Great Care* (3 outstanding)" in said
    assert "Paul Sheldon" in said and "Sarah Willis" in said


def test_anyone_else_sees_only_their_own_deliverables(opened: Harness):
    said = _status(opened, SARAH)

    assert "4 of your 4 update(s) outstanding" in said
    assert "Paul Sheldon" not in said and "Privacy and Dignity" not in said
    assert "nothing for you to report" in _status(opened, OUTSIDER)


def test_another_period_and_a_bad_period(opened: Harness):
    assert "2024/25 Q2" in _status(opened, SHARON, "2024/25 Q2")
    assert "'Q7 2024' is not a period" in _status(opened, SHARON, "Q7 2024")


def test_a_lead_opens_a_round_with_the_command(opened: Harness):
    said = _status(opened, LEAD, "open Q4 2024/25")

    assert "Opening the 2024/25 Q4 round" in said
    final = opened.fake.wait_for("response_url", 2)[-1].params["text"]
    assert "The 2024/25 Q4 round is now open" in final


def test_governance_leads_may_be_named_by_email(slack: Harness):
    by_email = settings_for(slack.fake, "sqlite://",
                            governance_leads_raw="Governance.Lead@example.nhs.uk")
    ctx = dataclasses.replace(slack.ctx, settings=by_email)

    assert is_governance_lead(ctx, LEAD)  # Slack says U0LEAD has that email
    assert not is_governance_lead(ctx, SHARON)
