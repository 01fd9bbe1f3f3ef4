"""Nobody can answer for someone else: signatures, tampered values, identity from the payload."""

from __future__ import annotations

import json
import time

import pytest

from tests.scenario.conftest import (
    LEAD,
    OUTSIDER,
    PAUL,
    SHARON,
    Harness,
    blocks_text,
)
from tests.support.slack_requests import (
    block_actions,
    button,
    dm_message,
    input_value,
    selected_value,
    slash_command,
    view_submission,
)

FORGERIES = {
    "unsigned": {"signed": False},
    "wrong secret": {"secret": "not-the-signing-secret"},
    "stale": {"timestamp": int(time.time()) - 6 * 60},
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_unsigned_and_stale_requests_are_refused_with_nothing_stored(
    opened: Harness, forgery: dict
):
    prompt = opened.prompt(SHARON, 1)
    values = {"rag": {"value": selected_value("green", "static_select")},
              "narrative": {"value": input_value("Forged")}}
    requests = [
        dm_message("Green - forged", user=SHARON, channel=prompt.channel, ts="1900000001.3",
                   thread_ts=prompt.ts),
        block_actions([button("open_update", prompt.value)], user_id=SHARON),
        view_submission("update_modal", values, user_id=SHARON,
                        private_metadata=json.dumps({"d": 1, "p": "2024-25-Q3"})),
        slash_command("/report-status", "open 2024/25 Q4", user_id=LEAD),
    ]

    statuses = [opened.served.slack.send(request, **forgery).status for request in requests]

    assert statuses == [401] * len(requests)
    opened.fake.assert_no_call("views.open", within=0.2)
    assert opened.latest(1) is None and opened.processed() == []
    assert not opened.fake.calls("response_url")


def test_a_tampered_button_value_naming_someone_elses_deliverable_opens_no_form(
    opened: Harness
):
    pauls = opened.prompt(PAUL, 8).value  # Paul Sheldon's deliverable, pressed by Sharon

    view = opened.click(SHARON, pauls)

    assert "not an SRO or delegate" in blocks_text(view["blocks"])
    assert not [b for b in view["blocks"] if b["type"] == "input"]


def test_tampered_private_metadata_pointing_at_someone_elses_deliverable_stores_nothing(
    opened: Harness
):
    form = opened.open_form(SHARON, 1)
    forged = json.dumps({"d": 8, "p": "2024-25-Q3"})  # Paul's deliverable

    answer = opened.submit(SHARON, form, rag="green", narrative="Not mine", metadata=forged)

    assert (answer.status, answer.body) == (200, "")  # kept; the worker refuses it
    [told] = opened.not_saved(SHARON)
    assert "not an SRO or delegate" in told
    assert opened.latest(8) is None and opened.latest(1) is None
    refused = opened.audit("update.refused")
    assert [(e.actor, e.subject) for e in refused] == [(SHARON, "deliverable:8")]


def test_a_value_ragtime_did_not_write_is_refused(opened: Harness):
    view = opened.click(SHARON, "DROP TABLE update")

    assert "out of date" in blocks_text(view["blocks"])


def test_garbage_private_metadata_is_refused(opened: Harness):
    form = opened.open_form(SHARON, 1)

    answer = opened.submit(SHARON, form, rag="green", narrative="x", metadata="{}").json()

    assert answer["response_action"] == "update" and opened.latest(1) is None


def test_a_reply_is_recorded_as_the_person_who_wrote_it_and_only_if_they_own_it(
    opened: Harness
):
    prompt = opened.prompt(SHARON, 1)
    # A message event naming another user in Sharon's prompt thread: the signed user counts.
    request = dm_message("Green - hijacked", user=OUTSIDER, channel=prompt.channel,
                         ts="1900000001.2", thread_ts=prompt.ts)
    before = len(opened.fake.calls("chat.postMessage"))
    assert opened.served.slack.send(request).status == 200
    refusal = opened.fake.wait_for("chat.postMessage", before + 1)[before]

    assert "not an SRO or delegate" in refusal.params["text"]
    assert opened.latest(1) is None


def test_only_governance_leads_can_open_a_round(slack: Harness):
    slack.served.slack.command("/report-status", "open 2024/25 Q3", user_id=SHARON,
                               response_url=slack.fake.response_url())
    said = slack.fake.wait_for("response_url")[0]
    assert "Only governance leads" in said.params["text"]

    before = len(slack.fake.calls("chat.postMessage"))
    slack.served.slack.click([button("open_round", "2024-25-Q3")], user_id=SHARON)
    told = slack.fake.wait_for("chat.postMessage", before + 1)[before]
    assert "Only governance leads" in told.params["text"]
    assert slack.summary is None and not slack.prompts(SHARON)
