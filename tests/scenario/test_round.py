"""A whole round of the bundled example, from opening to every SRO answered."""

from __future__ import annotations

import json

from bot.collection.progress import round_status
from storage.db import session_scope
from storage.models import Source
from tests.scenario.conftest import (
    BHANU,
    DAVID,
    DAVID_EMAIL,
    JAMES,
    JEAN,
    LEAD,
    OWNED,
    PAUL,
    Q3,
    SARAH,
    SHARON,
    Harness,
    blocks_text,
)


def test_opening_prompts_every_sro_found_by_email_and_reports_the_one_not_found(
    slack: Harness,
):
    summary = slack.open_round()

    assert summary.prompts_recorded == 18 and summary.delivery.sent == 18
    assert [problem.who for problem in summary.not_found] == [
        "David Williams, Executive Director of Strategy and Partnerships"]
    assert DAVID_EMAIL in summary.not_found[0].what
    for user, deliverables in OWNED.items():
        found = sorted(json.loads(p.value)["d"] for p in slack.prompts(user))
        assert found == ([] if user == DAVID else deliverables), user
    # DMs went to the user ids: no conversations.open per SRO
    slack.fake.assert_no_call("conversations.open", within=0)
    notice = [c for c in slack.fake.calls("chat.postMessage") if c.params["channel"] == "C0GOVERN"]
    assert len(notice) == 1
    assert "David Williams" in notice[0].params["text"] or "David Williams" in blocks_text(
        notice[0].json_param("blocks"))
    assert summary.governance_told


def test_a_prompt_shows_area_deliverable_last_quarter_and_deadline(opened: Harness):
    prompt = opened.prompt(SHARON, 1)

    assert "Great Outcomes › Access" in prompt.text
    assert "Review, update, revise and implement Trust Access Policy" in prompt.text
    assert "Last quarter (2024/25 Q2)" in prompt.text and "Green" in prompt.text
    assert "&gt; The Access to Treatment Policy" in prompt.text or \
        "> The Access to Treatment Policy" in prompt.text
    assert "Wed 15 Jan 2025" in prompt.text  # 10 working days after 31 Dec, bank holiday skipped
    assert json.loads(prompt.value) == {"d": 1, "p": "2024-25-Q3"}  # names nothing else


def test_opening_twice_sends_nothing_twice(opened: Harness):
    posts = len(opened.fake.calls("chat.postMessage"))

    again = opened.open_round()

    assert again.already_open and again.prompts_recorded == 0 and again.delivery.sent == 0
    assert len(opened.fake.calls("chat.postMessage")) == posts  # no prompt, no second notice


def test_joint_sros_either_may_submit_and_the_other_sees_it(opened: Harness):
    opened.answer_by_form(BHANU, 5, "green", "Group University status on track.")

    james = opened.prompt(JAMES, 5)
    assert "Received" in james.text and "Green" in james.text
    assert "Bhanu Chadalavada" in james.text
    told = opened.thread(james.channel, james.ts)
    assert told and "Bhanu Chadalavada submitted" in told[-1]["text"]
    # ...and James may still change it: a second version, which Bhanu then sees
    opened.answer_by_reply(JAMES, 5, "Amber - awaiting the university's decision\n"
                           "Recovery: escalate to the partnership board\nBy: 31/03/2025\n"
                           "Reason: decision delayed")
    assert [u.version for u in opened.versions(5)] == [1, 2]
    bhanu = opened.prompt(BHANU, 5)
    assert "Amber" in bhanu.text and "version 2" in bhanu.text
    assert "James Mullins submitted" in opened.thread(bhanu.channel, bhanu.ts)[-1]["text"]


def test_a_full_round_from_open_to_every_sro_answered(opened: Harness):
    s = opened
    # Sharon Murphy: two by the form, one by a thread reply, one Amber with what the rules need
    s.answer_by_form(SHARON, 1, "green", "Access policy implemented across all services.")
    s.answer_by_form(SHARON, 2, "green", "Directorate SOPs reviewed.")
    assert "Recorded Green" in s.answer_by_reply(SHARON, 3, "Green - data quality plan adopted")[
        "text"]
    s.answer_by_form(SHARON, 4, "amber", "Performance framework delayed.",
                     recovery_action="Interim monthly reviews", recovery_date="2025-03-31",
                     change_reason="Reporting tool delayed")
    # Joint SROs share 5-7
    s.answer_by_form(BHANU, 5, "green", "Group University status on track.")
    s.answer_by_reply(JAMES, 6, "G: continued participation in national trials")
    s.answer_by_reply(JAMES, 7, "amber. awaiting funding\nRecovery: bid to the research council"
                      "\nBy: 31/03/2025")
    # Paul Sheldon, Jean Knight and Sarah Willis by thread replies in the styles SROs write
    s.answer_by_reply(PAUL, 8, ":large_green_circle: done")
    s.answer_by_reply(PAUL, 9, "Green – estate works complete")
    s.answer_by_form(PAUL, 10, "amber", "Net zero plan behind schedule.",
                     recovery_action="Green plan refresh", recovery_date="2025-02-28")
    s.answer_by_reply(JEAN, 11, "G - governance framework reviewed")
    for deliverable in (12, 14, 15):
        s.answer_by_reply(SARAH, deliverable, "Green - on track")
    s.answer_by_reply(SARAH, 13, "A: agency use above plan\nRecovery: weekly panel\n"
                      "By: 28/02/2025")
    # David Williams joins Slack; opening again prompts only him
    posts = len(s.fake.calls("chat.postMessage"))
    s.fake.add_user(DAVID, email=DAVID_EMAIL)
    again = s.open_round()
    assert again.prompts_recorded == 2 and again.delivery.sent == 2 and not again.not_found
    assert len(s.fake.calls("chat.postMessage")) == posts + 2
    s.answer_by_reply(DAVID, 16, "Amber - partnership review paused\nRecovery: restart in "
                      "January\nBy: 31/01/2025")
    s.answer_by_form(DAVID, 17, "green", "Health inequalities programme on track.")

    with session_scope(s.engine) as session:
        status = round_status(session, Q3)
    assert status.outstanding_count == 0 and status.answered_count == 17
    sources = {d: s.latest(d).source for d in range(1, 18)}
    assert sources[1] == Source.modal and sources[3] == Source.thread
    assert s.latest(7).recovery_action == "bid to the research council"
    assert {s.latest(d).submitted_by_slack_id for d in (5, 6, 7)} == {BHANU, JAMES}
    response = s.served.slack.command("/report-status", user_id=LEAD)
    assert response.status == 200
    answer = s.fake.wait_for("response_url")[-1]
    assert "17 of 17" in answer.params["text"]
