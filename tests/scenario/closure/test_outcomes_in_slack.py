"""SROs asked for each deliverable's outcome when its strategy closes, in their Slack DM beside
their last update; the outcome form checks what they enter and who they are."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from bot.collection.closing import close_framework
from bot.collection.outcomes import latest_outcomes
from bot.framework.lifecycle import state_of
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    Deliverable,
    DeliverableOutcome,
    Framework,
    FrameworkState,
)
from tests.scenario.closure.conftest import THRIVE
from tests.scenario.conftest import (
    BHANU,
    LEAD,
    PAUL,
    SHARON,
    Harness,
    blocks_text,
    button_of,
    input_block,
)
from tests.support.slack_requests import input_value, selected_value, view_submission

SUTG = "Step Up To Great"


def requests_for(harness: Harness, user: str) -> list[dict[str, Any]]:
    channel = harness.fake.dm_channel_for(user)
    return [m for m in harness.fake.messages_in(channel) if "thread_ts" not in m
            and any(b.get("block_id") == "outcome_request" for b in m.get("blocks") or [])]


def request_for(harness: Harness, user: str, deliverable_id: int) -> dict[str, Any]:
    for message in requests_for(harness, user):
        if json.loads(button_of(message, "open_outcome")["value"])["o"] == deliverable_id:
            return message
    raise AssertionError(f"{user} was not asked about deliverable {deliverable_id}")


def open_outcome(harness: Harness, user: str, deliverable_id: int,
                 as_user: str | None = None) -> dict[str, Any]:
    message = request_for(harness, user, deliverable_id)
    return harness.click(as_user or user, button_of(message, "open_outcome")["value"],
                         action_id="open_outcome", channel=message["channel"],
                         ts=message["ts"])


def submit(harness: Harness, user: str, form: dict[str, Any], *, outcome: str | None,
           target: str | None = None, reason: str | None = None) -> dict[str, Any]:
    values = {
        "outcome": {"value": selected_value(outcome) if outcome else
                    {"type": "radio_buttons", "selected_option": None}},
        "target": {"value": selected_value(target, "static_select") if target else
                   {"type": "static_select", "selected_option": None}},
        "reason": {"value": input_value(reason) if reason else
                   {"type": "plain_text_input", "value": None}},
    }
    response = harness.served.slack.send(view_submission(
        form["callback_id"], values, user_id=user, view_id=form["id"], view_hash=form["hash"],
        blocks=form["blocks"], private_metadata=form["private_metadata"]))
    assert response.status == 200
    return response.json()


def thrive_ids(harness: Harness) -> dict[str, int]:
    with session_scope(harness.engine) as session:
        thrive = session.exec(select(Framework).where(Framework.name == THRIVE)).one()
        return {d.title: d.id for d in session.exec(
            select(Deliverable).where(Deliverable.framework_id == thrive.id))}


def outcome_versions(harness: Harness, deliverable_id: int) -> list[DeliverableOutcome]:
    with session_scope(harness.engine) as session:
        return list(session.exec(select(DeliverableOutcome).where(
            DeliverableOutcome.deliverable_id == deliverable_id)
            .order_by(DeliverableOutcome.version)))


def test_closing_asks_each_sro_beside_their_last_update_and_stores_checked_outcomes(
        both: Harness):
    started = close_framework(both.ctx, SUTG, 2024, by=LEAD)
    both.served.settle()

    assert started.newly_closing and started.final_round.period.label == "2024/25 Q4"
    with session_scope(both.engine) as session:
        states = {f.name: state_of(session, f.id) for f in session.exec(select(Framework))}
    assert states == {SUTG: FrameworkState.closing, THRIVE: FrameworkState.active}
    # Sharon: her four SUTG deliverables, none of THRIVE's; the final quarter prompted too.
    assert len(requests_for(both, SHARON)) == 4 and len(requests_for(both, PAUL)) == 3
    assert sorted(json.loads(p.value)["d"] for p in both.prompts(SHARON)
                  if json.loads(p.value)["p"] == "2024-25-Q4") == [1, 2, 3, 4]
    request = blocks_text(request_for(both, SHARON, 1)["blocks"])
    assert "Step Up To Great is closing* (2024/25 is its final year)" in request
    assert "Your last update* (2024/25 Q2): :large_green_circle: Green" in request
    assert "Access to Treatment Policy" in request  # her Q2 narrative, quoted

    form = open_outcome(both, SHARON, 1)
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == [
        "outcome", "target", "reason"]
    groups = input_block(form, "target")["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == [THRIVE, SUTG]  # the new strategy first
    assert "1" not in {o["value"] for g in groups for o in g["options"]}  # not itself

    # Carried forward needs a target; stopped needs a reason; carried stays across frameworks.
    assert submit(both, SHARON, form, outcome="carried")["errors"] == {
        "target": "Choose the deliverable it is carried forward to."}
    assert "reason" in submit(both, SHARON, form, outcome="stopped")["errors"]
    assert "another framework" in submit(both, SHARON, form, outcome="carried",
                                         target="2")["errors"]["target"]
    assert outcome_versions(both, 1) == []

    target = thrive_ids(both)["Single point of access for every service"]
    saved = submit(both, SHARON, form, outcome="carried", target=str(target))
    assert saved["response_action"] == "update"
    assert "Outcome recorded: *Carried forward to THRIVE R-1*" in blocks_text(
        saved["view"]["blocks"])
    again = submit(both, SHARON, form, outcome="carried", target=str(target))  # a double click
    assert again["response_action"] == "update"
    [version] = outcome_versions(both, 1)
    assert (version.outcome, version.target_id, version.set_by, version.source) == (
        "carried", target, SHARON, "modal")

    # A second setting is a new version; the form opens with it.
    form = open_outcome(both, SHARON, 1)
    assert input_block(form, "outcome")["element"]["initial_option"]["value"] == "carried"
    submit(both, SHARON, form, outcome="stopped", reason="Replaced by the <!channel> review")
    assert [v.version for v in outcome_versions(both, 1)] == [1, 2]
    with session_scope(both.engine) as session:
        assert latest_outcomes(session, [1])[1].reason == "Replaced by the <!channel> review"
        trail = session.exec(select(AuditEvent).where(AuditEvent.action == "outcome.set")).all()
    assert [event.detail["version"] for event in trail] == [1, 2]


def test_only_the_deliverables_sros_or_a_governance_lead_may_set_its_outcome(both: Harness):
    close_framework(both.ctx, SUTG, 2024, by=LEAD)
    both.served.settle()

    refused = open_outcome(both, SHARON, 1, as_user=BHANU)  # Sharon's button, Bhanu's click
    assert "not an SRO or delegate of this deliverable" in blocks_text(refused["blocks"])
    form = open_outcome(both, SHARON, 1)
    answer = submit(both, BHANU, form, outcome="achieved")  # Sharon's form, Bhanu's request
    assert answer["response_action"] == "update"
    assert "not an SRO or delegate" in blocks_text(answer["view"]["blocks"])
    assert outcome_versions(both, 1) == []

    lead = open_outcome(both, SHARON, 1, as_user=LEAD)
    assert submit(both, LEAD, lead, outcome="achieved")["response_action"] == "update"
    assert [(v.outcome, v.set_by) for v in outcome_versions(both, 1)] == [("achieved", LEAD)]


def test_closing_again_asks_nobody_twice(both: Harness):
    close_framework(both.ctx, SUTG, 2024, by=LEAD)
    both.served.settle()
    again = close_framework(both.ctx, SUTG, 2024, by=LEAD)
    both.served.settle()
    assert not again.newly_closing and again.requests_recorded == 0
    assert len(requests_for(both, SHARON)) == 4
