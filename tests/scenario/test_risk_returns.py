"""A BAF risk owner's return on Slack: the round prompts each owner for each of their risks, the
modal (signed requests to the real Bolt app over HTTP, the fake Slack) stores a return checked
at entry, "No change this quarter" confirms in one step, a non-owner is refused, and reminders,
the escalation, ``round status`` and the Home tab count the risks."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from bot.collection.flows import escalate, remind_outstanding
from bot.collection.risk_returns import latest_return, submit_return
from bot.collection.risk_rules import ReturnFields
from bot.collection.status import round_status_report
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Risk
from tests.scenario.conftest import (
    BHANU,
    LEAD,
    OUTSIDER,
    Q3,
    SHARON,
    Harness,
    blocks_text,
    input_block,
)
from tests.support.rounds import open_rounds
from tests.support.slack_requests import (
    app_home_opened,
    block_actions,
    button,
    input_value,
    selected_value,
    view_submission,
)

TITLE_01 = ("Without timely access to services, we cannot provide high quality safe care for "
            "our patients which will impact on clinical outcomes.")
TITLE_02 = ("If we do not engage in research or innovation, we will not produce the strength "
            "of evidence to provide real transformation of patient outcomes in high quality and "
            "safe services.")
RISK_ROWS = [
    ["theme", "risk_number", "risk_title", "score", "owner_name", "owner_title", "owner_email",
     "appetite", "target", "target_date"],
    ["Great Outcomes", "01", TITLE_01, "20", "Sharon Murphy", "Director of Finance",
     "sharon.murphy@example.nhs.uk", "cautious", "12", "2025-03-31"],
    ["Great Outcomes", "02", TITLE_02, "9", "Bhanu Chadalavada", "Medical Director",
     "bhanu.chadalavada@example.nhs.uk", "open", "9", "2026-03-31"],
]


@pytest.fixture
def baf(slack: Harness, tmp_path: Path) -> Harness:
    """The seed with owners for risks 01 (Sharon) and 02 (Bhanu), then the Q3 round opened."""
    path = tmp_path / "risks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(RISK_ROWS)
    with session_scope(slack.engine, write=True) as session:
        summary = import_framework(session, path, today=date(2024, 12, 20))
    assert summary.risks.updated == 2 and summary.risks.created == 0  # the seed's scores kept
    slack.summary = slack.open_round()
    return slack


def risk_ids(harness: Harness) -> dict[str, int]:
    with session_scope(harness.engine) as session:
        return {risk.number: risk.id for risk in session.exec(select(Risk))}


def risk_prompts(harness: Harness, user: str) -> list[dict]:
    channel = harness.fake.dm_channel_for(user)
    return [m for m in harness.fake.messages_in(channel) if "thread_ts" not in m
            and any(b.get("block_id") == "baf_risk" for b in m.get("blocks") or [])]


def risk_button(message: dict, action_id: str) -> dict:
    return next(e for b in message["blocks"] if b["type"] == "actions"
                for e in b["elements"] if e["action_id"] == action_id)


def open_risk_form(harness: Harness, user: str, prompt: dict) -> dict:
    return harness.click(user, risk_button(prompt, "open_risk_return")["value"],
                         action_id="open_risk_return", ts=prompt["ts"])


def submit_risk(harness: Harness, user: str, form: dict, *, likelihood: str, consequence: str,
                rationale: str = "", actions: list[tuple[str, str, str, str]] = (),
                assurances: dict[str, str] | None = None, view_id: str | None = None):
    values: dict = {
        "likelihood": {"value": selected_value(likelihood, "static_select")},
        "consequence": {"value": selected_value(consequence, "static_select")},
        "rationale": {"value": input_value(rationale)},
        "controls": {"value": input_value("Waiting list validation; weekly access meeting")},
        "control_gaps": {"value": input_value("")},
        "assurance_gaps": {"value": input_value("")},
    }
    for line in ("first", "second", "third"):
        for kind in ("positive", "negative"):
            key = f"assure_{line}_{kind}"
            values[key] = {"value": input_value((assurances or {}).get(key, ""))}
    for index in range(1, 4):
        text, owner, due, ref = actions[index - 1] if index <= len(actions) else ("", "", "", "")
        values[f"action_{index}_text"] = {"value": input_value(text)}
        values[f"action_{index}_owner"] = {"value": input_value(owner)}
        values[f"action_{index}_due"] = {"value": {"type": "datepicker",
                                                   "selected_date": due or None}}
        values[f"action_{index}_deliverable"] = {"value": input_value(ref)}
    request = view_submission(form["callback_id"], values, user_id=user,
                              view_id=view_id or form["id"], view_hash=form["hash"],
                              blocks=form["blocks"], private_metadata=form["private_metadata"])
    return harness.served.slack.send(request)


def test_each_owner_is_prompted_for_each_of_their_risks(baf: Harness):
    sharon, bhanu = risk_prompts(baf, SHARON), risk_prompts(baf, BHANU)
    assert len(sharon) == 1 and len(bhanu) == 1
    text = blocks_text(sharon[0]["blocks"])
    assert "BAF 01" in text and "Without timely access to services" in text
    assert "Last quarter: 20 · Target: 12 · Appetite: Cautious" in text
    assert [e["text"]["text"] for b in sharon[0]["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == ["Return this risk", "No change this quarter"]
    assert risk_prompts(baf, OUTSIDER) == []
    # Opening again prompts nobody twice.
    again = baf.open_round()
    assert again.prompts_recorded == 0 and len(risk_prompts(baf, SHARON)) == 1


def test_a_return_through_the_modal_is_checked_stored_and_confirmed(baf: Harness):
    prompt = risk_prompts(baf, SHARON)[0]
    form = open_risk_form(baf, SHARON, prompt)
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"][:5] == [
        "likelihood", "consequence", "rationale", "controls", "control_gaps"]
    likelihood = input_block(form, "likelihood")["element"]
    assert [o["text"]["text"] for o in likelihood["options"]] == [
        "1 Rare", "2 Unlikely", "3 Possible", "4 Likely", "5 Almost certain"]

    # 16 (changed from 20, above the target 12): a rationale and a dated action are needed.
    answer = submit_risk(baf, SHARON, form, likelihood="4", consequence="4").json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"rationale", "action_1_text"}
    assert "changed from 20 last quarter to 16" in answer["errors"]["rationale"]

    posts = len(baf.fake.calls("chat.postMessage"))
    response = submit_risk(
        baf, SHARON, form, likelihood="4", consequence="4",
        rationale="The new clinic cut the longest waits",
        actions=[("Open the second clinic", "Sharon Murphy", "2025-03-31", "go-1")],
        assurances={"assure_second_positive": "Audit of waits (Oct)\nIPR reviewed monthly",
                    "assure_third_negative": "CQC: waits still too long"})
    assert response.status == 200 and response.body == ""  # the modal closes
    ids = risk_ids(baf)
    with session_scope(baf.engine) as session:
        stored = latest_return(session, ids["01"], Q3)
    assert (stored.likelihood, stored.consequence, stored.score, stored.source) == (
        4, 4, 16, "modal")
    assert stored.actions == [{"text": "Open the second clinic", "owner": "Sharon Murphy",
                               "due": "2025-03-31", "deliverable": "GO-1"}]
    assert [(a["line"], a["kind"]) for a in stored.assurances] == [
        ("second", "positive"), ("second", "positive"), ("third", "negative")]
    # The confirmation, in the prompt's thread, with the flag: 16 is outside a cautious appetite.
    baf.fake.wait_for("chat.postMessage", posts + 1)
    reply = baf.thread(baf.fake.dm_channel_for(SHARON), prompt["ts"])[-1]
    text = blocks_text(reply["blocks"])
    assert "Return received" in text and "Score *16*" in text
    assert "outside the cautious risk appetite (at most 12)" in text

    # The form opens again pre-filled with what was saved.
    form = open_risk_form(baf, SHARON, prompt)
    assert input_block(form, "likelihood")["element"]["initial_option"]["value"] == "4"
    assert input_block(form, "action_1_deliverable")["element"]["initial_value"] == "GO-1"


def test_no_change_this_quarter_confirms_last_quarters_return_in_one_step(baf: Harness):
    ids = risk_ids(baf)
    prompt = risk_prompts(baf, BHANU)[0]
    # No return last quarter (only the file's score): nothing to confirm, so the owner is told.
    value = risk_button(prompt, "risk_no_change")["value"]
    told = len(baf.fake.calls("response_url"))
    request = block_actions([button("risk_no_change", value)], user_id=BHANU,
                            channel_id=baf.fake.dm_channel_for(BHANU), message_ts=prompt["ts"],
                            response_url=baf.fake.response_url())
    assert baf.served.slack.send(request).status == 200
    said = baf.fake.wait_for("response_url", told + 1)[told]
    assert "Not saved: There is no earlier return of this risk" in json.dumps(said.params)
    with session_scope(baf.engine) as session:
        assert latest_return(session, ids["02"], Q3) is None

    # With a Q2 return on record, one click confirms it for Q3.
    open_rounds(baf.engine, Q3.previous())
    with session_scope(baf.engine, write=True) as session:
        submit_return(session, risk_id=ids["02"], period=Q3.previous(),
                      entered=ReturnFields(likelihood=3, consequence=3,
                                           controls="Research strategy"),
                      source="cli", actor_slack_id=BHANU, today=date(2024, 10, 1))
    request = block_actions([button("risk_no_change", value)], user_id=BHANU,
                            channel_id=baf.fake.dm_channel_for(BHANU), message_ts=prompt["ts"],
                            response_url=baf.fake.response_url())
    posts = len(baf.fake.calls("chat.postMessage"))
    assert baf.served.slack.send(request).status == 200
    baf.fake.wait_for("chat.postMessage", posts + 1)
    with session_scope(baf.engine) as session:
        stored = latest_return(session, ids["02"], Q3)
    assert (stored.score, stored.unchanged, stored.controls, stored.source) == (
        9, True, "Research strategy", "button")
    reply = baf.thread(baf.fake.dm_channel_for(BHANU), prompt["ts"])[-1]
    assert "No change confirmed" in blocks_text(reply["blocks"])


def test_someone_else_cannot_return_a_risk_whatever_the_button_says(baf: Harness):
    prompt = risk_prompts(baf, SHARON)[0]
    form = baf.click(OUTSIDER, risk_button(prompt, "open_risk_return")["value"],
                     action_id="open_risk_return")
    assert "not an owner of this BAF risk" in blocks_text(form["blocks"])
    # A forged submission of Sharon's form by the outsider stores nothing.
    sharons = open_risk_form(baf, SHARON, prompt)
    answer = submit_risk(baf, OUTSIDER, sharons, likelihood="1", consequence="1",
                         rationale="forged", view_id="V0FORGED").json()
    assert answer["response_action"] == "update"
    with session_scope(baf.engine) as session:
        assert latest_return(session, risk_ids(baf)["01"], Q3) is None
        refused = session.exec(select(AuditEvent).where(
            AuditEvent.action == "risk_return.refused")).all()
    assert [event.actor for event in refused] == [OUTSIDER]


def test_reminders_escalation_status_and_home_count_the_risks(baf: Harness):
    prompt = risk_prompts(baf, SHARON)[0]
    form = open_risk_form(baf, SHARON, prompt)
    assert submit_risk(baf, SHARON, form, likelihood="4", consequence="5",
                       actions=[("Recruit", "HR", "2025-03-31", "")]).body == ""

    status = round_status_report(baf.ctx, Q3)
    assert "BAF risk returns: 1 of 2 returned, 1 outstanding." in status.text()
    assert "outstanding: BAF 02" in status.text() and "(Bhanu Chadalavada)" in status.text()
    assert status.as_dict()["risks"]["returned"] == 1

    reminded = remind_outstanding(baf.ctx, Q3, stage="test")
    assert reminded.delivery.failed == 0
    with session_scope(baf.engine) as session:
        reminders = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "risk_reminder")).all()
    assert [(r.person_id is not None, [x["number"] for x in r.payload["risks"]])
            for r in reminders] == [(True, ["02"])]
    bhanu_dm = baf.fake.messages_in(baf.fake.dm_channel_for(BHANU))
    assert "Reminder:" in blocks_text(bhanu_dm[-1]["blocks"])

    escalate(baf.ctx, Q3)
    with session_scope(baf.engine) as session:
        escalation = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "escalation")).one()
    assert escalation.payload["risks"] == [{
        "number": "02", "title": escalation.payload["risks"][0]["title"],
        "owners": ["Bhanu Chadalavada"]}]

    views = len(baf.fake.calls("views.publish"))
    baf.served.slack.send(app_home_opened(SHARON))
    home = baf.fake.wait_for("views.publish", views + 1)[views].json_param("view")
    text = blocks_text(home["blocks"])
    assert "Your BAF risks* — 0 of 1 still to return" in text
    assert "returned, score 20 (version 1)" in text
    views = len(baf.fake.calls("views.publish"))
    baf.served.slack.send(app_home_opened(LEAD))
    home = baf.fake.wait_for("views.publish", views + 1)[views].json_param("view")
    assert "BAF risk returns*: 1 of 2 returned, 1 outstanding" in blocks_text(home["blocks"])


def test_a_reply_in_the_risk_prompts_thread_is_a_return(baf: Harness):
    ids = risk_ids(baf)
    prompt = risk_prompts(baf, SHARON)[0]
    channel = baf.fake.dm_channel_for(SHARON)

    # 16, above the target 12, and no earlier return with a dated action: told what is missing.
    baf.reply(SHARON, "4x4 the new clinic cut the longest waits", prompt["ts"])
    said = blocks_text(baf.thread(channel, prompt["ts"])[-1]["blocks"])
    assert "Not saved: The score 16 is above the target 12" in said
    with session_scope(baf.engine) as session:
        assert latest_return(session, ids["01"], Q3) is None

    # A full return in the form, then a thread reply re-scores it, keeping the actions.
    form = open_risk_form(baf, SHARON, prompt)
    posts = len(baf.fake.calls("chat.postMessage"))
    assert submit_risk(baf, SHARON, form, likelihood="4", consequence="5",
                       actions=[("Open the second clinic", "COO", "2025-03-31", "")]
                       ).body == ""
    baf.fake.wait_for("chat.postMessage", posts + 1)  # its confirmation
    posts = len(baf.fake.calls("chat.postMessage"))
    baf.reply(SHARON, "L4 C4 – the new clinic cut the longest waits", prompt["ts"], wait=False)
    baf.fake.wait_for("chat.postMessage", posts + 1)
    with session_scope(baf.engine) as session:
        stored = latest_return(session, ids["01"], Q3)
    assert (stored.version, stored.score, stored.source) == (2, 16, "thread")
    assert stored.rationale == "the new clinic cut the longest waits"
    assert stored.actions[0]["text"] == "Open the second clinic"
    assert "Return received" in blocks_text(baf.thread(channel, prompt["ts"])[-1]["blocks"])

    # "no change" confirms the latest in one step; gibberish gets the how-to.
    posts = len(baf.fake.calls("chat.postMessage"))
    baf.reply(SHARON, "no change", prompt["ts"], wait=False)
    baf.fake.wait_for("chat.postMessage", posts + 1)
    with session_scope(baf.engine) as session:
        stored = latest_return(session, ids["01"], Q3)
    assert (stored.version, stored.score, stored.unchanged) == (3, 16, True)
    baf.reply(SHARON, "what do I do?", prompt["ts"])
    assert "Reply *no change*" in blocks_text(baf.thread(channel, prompt["ts"])[-1]["blocks"])
