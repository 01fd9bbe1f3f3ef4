"""Signed payloads of the wrong shape, named one by one: each gets a 4xx or a notice the person
can read, in well under Slack's 3 seconds, and never a 500 (issue 13). Ids beyond the
database's range run on SQLite and PostgreSQL (PostgreSQL refuses them as integers).

The error handler in ``ragtime.app`` must describe and answer a failure whatever the payload
looks like: it is also Bolt's handler for errors in middleware, which may meet any shape.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltContext
from sqlalchemy.engine import Engine

from ragtime.app import _error_handler, describe_request
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import LEAD, SHARON, Harness, blocks_text, serve_example
from tests.support.served_app import ServedApp, stop
from tests.support.slack_requests import (
    SimulatedResponse,
    SlackRequest,
    app_home_opened,
    block_actions,
    button,
    dm_message,
    input_value,
    selected_value,
    slash_command,
    view_submission,
)

pytestmark = pytest.mark.slow

QUICK_SECONDS = 1.5  # "well under" Slack's 3
META = json.dumps({"d": 1, "p": "2024-25-Q3"})
FORM = {"rag": {"value": selected_value("green", "static_select")},
        "narrative": {"value": input_value("On track")}}


def payload_of(request: SlackRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        return json.loads(request.body)
    return json.loads(dict(parse_qsl(request.body))["payload"])


def with_field(request: SlackRequest, path: tuple[Any, ...], value: Any) -> SlackRequest:
    """``request`` with the field at ``path`` set to ``value`` (kept as Slack wraps it)."""
    payload = payload_of(request)
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    if request.content_type == "application/json":
        return SlackRequest.json_body(payload)
    return SlackRequest.interactive(payload)


def sent(served: ServedApp, request: SlackRequest) -> SimulatedResponse:
    started = time.monotonic()
    response = served.slack.send(request)
    assert time.monotonic() - started < QUICK_SECONDS
    assert response.status < 500 and "Traceback" not in response.body
    return response


def click(user: str = SHARON, value: str = META, action: str = "open_update") -> SlackRequest:
    return block_actions([button(action, value)], user_id=user)


def submit(metadata: str = META, values: dict[str, Any] | None = None,
           callback: str = "update_modal", user: str = SHARON) -> SlackRequest:
    return view_submission(callback, values if values is not None else FORM, user_id=user,
                           private_metadata=metadata)


WRONG_TYPES = {
    "user a string": with_field(click(), ("user",), SHARON),
    "user.id a number": with_field(click(), ("user", "id"), 42),
    "actions a dict": with_field(click(), ("actions",), {"0": button("open_update", META)}),
    "actions empty": with_field(click(), ("actions",), []),
    "action_id a list": with_field(click(), ("actions", 0, "action_id"), ["open_update"]),
    "button value a number": with_field(click(), ("actions", 0, "value"), 1),
    "button value longer than Slack allows": with_field(click(), ("actions", 0, "value"),
                                                        "x" * 2_001),
    "trigger_id missing": with_field(click(), ("trigger_id",), None),
    "view.state.values a list": with_field(submit(), ("view", "state", "values"), [1, 2]),
    "view.state a string": with_field(submit(), ("view", "state"), "values"),
    "an input a string": with_field(submit(), ("view", "state", "values", "rag"), "green"),
    "selected_option a list": with_field(
        submit(), ("view", "state", "values", "rag", "value", "selected_option"), ["green"]),
    "narrative a number": with_field(
        submit(), ("view", "state", "values", "narrative", "value", "value"), 5),
    "private_metadata a number": with_field(submit(), ("view", "private_metadata"), 5),
    "view without id": with_field(submit(), ("view", "id"), None),
    "view a list": with_field(submit(), ("view",), []),
    "team a number": with_field(submit(), ("team",), 7),
    "view null on a click": with_field(click(), ("view",), None),
    "block id longer than Slack allows": with_field(
        submit(), ("view", "state", "values"), {"b" * 256: {"value": input_value("x")}}),
    "event user a number": with_field(dm_message("Green - fine", user=SHARON),
                                      ("event", "user"), 5),
    "event text an object": with_field(dm_message("Green", user=SHARON), ("event", "text"),
                                       {"t": "Green"}),
    "event a list": with_field(dm_message("Green", user=SHARON), ("event",), ["message"]),
    "event null": with_field(dm_message("Green", user=SHARON), ("event",), None),
    "event without type": with_field(app_home_opened(SHARON), ("event", "type"), None),
    "home user a list": with_field(app_home_opened(SHARON), ("event", "user"), [SHARON]),
    "authorizations an object": with_field(dm_message("Green", user=SHARON),
                                           ("authorizations",), {"team_id": "T0RAGTIME"}),
    "a command in JSON, user_id a number": SlackRequest.json_body(
        {"command": "/report-status", "user_id": 5, "team_id": "T0RAGTIME", "text": "",
         "response_url": "https://hooks.slack.com/commands/1"}),
    "a command without user_id": SlackRequest.form(
        {k: v for k, v in parse_qsl(slash_command("/report-status").body) if k != "user_id"}),
    "a command whose response_url is not a URL": SlackRequest.form(
        {**dict(parse_qsl(slash_command("/report-status").body)), "response_url": "junk"}),
}


def test_known_fields_of_the_wrong_type_are_a_400_before_any_listener(
        opened: Harness, caplog: pytest.LogCaptureFixture):
    """(Bolt itself cannot read some of them, e.g. ``authorizations`` an object: the HTTP
    front door answers those 400; the others are ``handlers.slack.shapes``' refusals.)"""
    caplog.set_level(logging.WARNING)
    calls = len(opened.fake.calls())

    statuses = {name: sent(opened.served, request).status
                for name, request in WRONG_TYPES.items()}

    assert statuses == dict.fromkeys(WRONG_TYPES, 400)
    opened.fake.assert_no_call("views.open", within=0.2)
    assert len(opened.fake.calls()) == calls and opened.latest(1) is None
    assert caplog.text.count("refused a malformed") >= len(WRONG_TYPES) - 6
    assert "listener failed" not in caplog.text and "Traceback" not in caplog.text


DEEP = 100_000


def test_a_body_nested_thousands_deep_is_a_400(served_app: ServedApp):
    """Too deep for Python's JSON reader: refused before Bolt can read it."""
    body = '{"type": "event_callback", "event": ' + "[" * DEEP + "]" * DEEP + "}"

    assert sent(served_app, SlackRequest(body, "application/json")).status == 400


def test_a_known_field_nested_deep_is_a_400(opened: Harness):
    payload = payload_of(click())
    payload["user"] = "DEEP"
    body = json.dumps(payload).replace('"DEEP"', "[" * 900 + "]" * 900)

    assert sent(opened.served, SlackRequest.form({"payload": body})).status == 400


def test_deep_nesting_where_ragtime_never_looks_is_answered_as_usual(opened: Harness):
    prompt = opened.prompt(SHARON, 1)
    payload = payload_of(dm_message("Green - on track", user=SHARON, channel=prompt.channel,
                                    thread_ts=prompt.ts))
    body = json.dumps(payload).replace('"blocks": [', '"blocks": [' + "[" * 900 + "]" * 900
                                       + ", ", 1)

    assert sent(opened.served, SlackRequest(body, "application/json")).status == 200
    opened.fake.wait_for("chat.postMessage", len(opened.fake.calls("chat.postMessage")) + 1)
    assert opened.latest(1) is not None and opened.latest(1).narrative == "on track"


# ------------------------------------------------------------------ junk Ragtime must read

@pytest.fixture
def opened_on_each_database(fake_slack: FakeSlack, any_engine: Engine) -> Iterator[Harness]:
    served = serve_example(fake_slack, any_engine, str(any_engine.url))
    try:
        harness = Harness(served)
        harness.summary = harness.open_round()
        yield harness
    finally:
        stop(served)


JUNK_BUTTON_VALUES = {
    "deep JSON": "[" * 990 + "]" * 990,
    "an id beyond the database's": json.dumps({"d": 2**31, "p": "2024-25-Q3"}),
    "a huge id": json.dumps({"d": 10**40, "p": "2024-25-Q3"}),
    "an id as digits text": json.dumps({"d": "1", "p": "2024-25-Q3"}),
    "a period out of range": json.dumps({"d": 1, "p": "9999-00-Q9"}),
}


def test_junk_in_an_update_button_opens_a_notice(opened_on_each_database: Harness):
    opened = opened_on_each_database
    for name, value in JUNK_BUTTON_VALUES.items():
        view = opened.click(SHARON, value)

        assert "out of date" in blocks_text(view["blocks"]), name
        assert not [b for b in view["blocks"] if b["type"] == "input"], name
    assert opened.latest(1) is None


def test_a_draft_of_the_wrong_types_in_a_button_opens_the_form_without_it(opened: Harness):
    value = json.dumps({"d": 1, "p": "2024-25-Q3", "r": 5, "n": [[["x"]]], "rd": {"y": 1}})

    view = opened.click(SHARON, value)

    assert [b for b in view["blocks"] if b["type"] == "input"]
    assert "[[" not in json.dumps(view)


JUNK_METADATA = {
    "deep JSON": "[" * 1_400 + "]" * 1_400,
    "an id beyond the database's": json.dumps({"d": 2**31, "p": "2024-25-Q3"}),
    "a boolean id": json.dumps({"d": True, "p": "2024-25-Q3"}),
    "not JSON": "{d: 1}",
}


def test_junk_private_metadata_replaces_the_form_with_a_notice(
        opened_on_each_database: Harness):
    opened = opened_on_each_database
    for name, metadata in JUNK_METADATA.items():
        answer = sent(opened.served, submit(metadata)).json()

        assert answer["response_action"] == "update", name
        assert "out of date" in blocks_text(answer["view"]["blocks"]), name
    assert opened.latest(1) is None


def test_junk_block_ids_leave_the_form_asking_for_its_fields(opened: Harness):
    values = {"\u202e\x00rag": {"value": selected_value("green", "static_select")},
              "narrative;DROP": {"value": input_value("On track")}, "": {}}

    answer = sent(opened.served, submit(values=values)).json()

    assert answer["response_action"] == "errors" and "rag" in answer["errors"]
    assert opened.latest(1) is None


REPORT_BUTTON_JUNK = ["²", "٣", "9" * 30, str(2**31), "-1", ""]
CHOICE_JUNK = ["²", "9" * 100, str(2**31)]


def test_junk_in_report_buttons_and_the_changes_modal_is_answered_to_the_lead(
        opened_on_each_database: Harness):
    opened = opened_on_each_database
    for value in REPORT_BUTTON_JUNK:
        request = block_actions([button("report_approve", value)], user_id=LEAD,
                                response_url=opened.fake.response_url())

        assert sent(opened.served, request).status == 200
    said = [call.params["text"] for call in opened.fake.wait_for(
        "response_url", len(REPORT_BUTTON_JUNK))]
    assert all("does not name a Ragtime report" in text for text in said), said

    for option in CHOICE_JUNK:
        values = {"comment": {"comment": input_value("Add dates")},
                  "deliverables": {"deliverables": {
                      "type": "checkboxes", "selected_options": [{"value": option}]}}}
        request = submit(json.dumps({"report": 2**31}), values,
                         callback="report_changes_modal", user=LEAD)

        answer = sent(opened.served, request).json()
        assert answer["response_action"] == "errors" and answer["errors"], option


# ------------------------------------------------------------------ the error handler

bodies = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "user", "user_id", "command", "actions", "view", "event",
                         "team", "team_id", "response_url", "channel", "channel_type", "ts",
                         "thread_ts", "callback_id", "action_id", "id", "text"]),
        inner, max_size=5),
    max_leaves=12)
ANY_BODY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


SECRET = "SECRET-NARRATIVE"


def with_secret(body: Any) -> Any:
    """``body`` with person-written text where Slack puts it."""
    if isinstance(body, dict):
        body = {**body, "text": SECRET}
        if isinstance(body.get("event"), dict):
            body["event"] = {**body["event"], "text": SECRET}
    return body


@ANY_BODY
@given(body=bodies.map(with_secret))
def test_describe_request_reads_any_shape_and_never_the_text(body: Any):
    described = describe_request(body)

    assert described.split()[0] and SECRET not in described


@ANY_BODY
@given(body=bodies)
def test_the_error_handler_answers_any_shape_without_failing(served_app: ServedApp,
                                                             body: Any):
    _error_handler(served_app.ctx)(RuntimeError("boom"), body, None, BoltContext())
