"""Fuzzing what reaches ``POST /slack/events``: signed requests carrying malformed payloads.

Slack payloads are built as Slack sends them, then their fields are replaced with random values:
wrong types, missing keys, huge strings, other people's deliverables, text that is not JSON. The
structural fuzz (the last part) takes a live payload of each surface (a slash command, a button
click, a modal submission, a DM reply, the App Home opened) and rewrites its known fields with
random JSON of any type, nesting thousands deep, numbers for strings, ids beyond the database's
range, or deletes them. Every request is signed, so it gets past the signature check and reaches
Bolt and our listeners, on SQLite and on PostgreSQL. What must hold for every request: an HTTP
answer that is not a server error, within Slack's 3 seconds, showing no traceback; nothing
stored for anyone who may not submit; whatever the app does store is a valid update; a listener
that fails after its acknowledgement tells the person (with a reference) rather than going
quiet; the server is still healthy afterwards.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.collection.rules import NARRATIVE_MAX
from storage.db import session_scope
from storage.models import Rag, Update
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import LEAD, OUTSIDER, OWNED, SHARON, Harness, serve_example
from tests.support.served_app import stop
from tests.support.slack_requests import (
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

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SERVER_ERROR = 500  # and above
SLACK_WAITS_SECONDS = 3.0  # Slack shows the person an error when the ack takes longer
FIELD_BLOCKS = ("rag", "narrative", "recovery_action", "recovery_date", "change_reason")

# -------------------------------------------------------------------------------- values

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6,
)
huge = st.builds(lambda piece, n: piece * n,
                 st.sampled_from(["x", "<!channel> ", "é", "&amp;", "\u202e", "🟢", "\\"]),
                 st.integers(1_000, 20_000))
texts = st.one_of(st.text(max_size=120), huge)
anything = st.one_of(texts, json_values)

selects = st.fixed_dictionaries({
    "type": st.just("static_select"),
    "selected_option": st.one_of(json_values, st.fixed_dictionaries({
        "value": st.one_of(st.sampled_from(["red", "amber", "green", "Green", "purple"]),
                           anything)})),
})
inputs = st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": anything})
dates = st.fixed_dictionaries({"type": st.just("datepicker"), "selected_date": st.one_of(
    st.dates().map(str), st.sampled_from(["2025-02-31", "31/12/2025", "", "9999-99-99"]),
    anything)})
elements = st.one_of(selects, inputs, dates, json_values)
state_values = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(FIELD_BLOCKS), st.text(max_size=6)),
                    st.one_of(st.fixed_dictionaries({"value": elements}), json_values),
                    max_size=6),
    json_values,
)
periods = st.sampled_from(["2024-25-Q3", "2024-25-Q2", "2031-32-Q1", "Q3", "", "2024-25-Q9"])
metadata = st.one_of(
    st.builds(lambda d, p: json.dumps({"d": d, "p": p}),
              st.one_of(st.integers(-3, 40), json_values), st.one_of(periods, anything)),
    st.builds(json.dumps, json_values),
    texts,
)
button_values = texts  # Slack sends a button's value as a string
users = st.sampled_from([OUTSIDER, "U0NOBODY", "W" + "9" * 40])


# -------------------------------------------------------------------------------- checks

@dataclass
class Fuzzed:
    """The served app with the round open."""

    slack: Harness

    def send(self, request: SlackRequest) -> int:
        """POST ``request``: never a server error, never slower than Slack waits, never a
        traceback in the answer."""
        started = time.monotonic()
        response = self.slack.served.slack.send(request)
        took = time.monotonic() - started
        assert response.status < SERVER_ERROR, (response.status, response.body[:200])
        assert took < SLACK_WAITS_SECONDS, f"answered in {took:.1f}s"
        assert "Traceback" not in response.body and 'File "' not in response.body
        return response.status


@pytest.fixture
def opened_on_each_database(fake_slack: FakeSlack, any_engine: Any) -> Iterator[Harness]:
    """The Q3 round opened by the lead, once on SQLite and once on PostgreSQL."""
    served = serve_example(fake_slack, any_engine, str(any_engine.url))
    try:
        harness = Harness(served)
        harness.summary = harness.open_round()
        yield harness
    finally:
        stop(served)


@pytest.fixture
def checked(opened_on_each_database: Harness, caplog: pytest.LogCaptureFixture
            ) -> Iterator[Fuzzed]:
    """The opened round; afterwards: healthy, and every failure told to the person."""
    opened = opened_on_each_database
    caplog.set_level(logging.ERROR, logger="ragtime.app")
    fuzzed = Fuzzed(opened)
    yield fuzzed
    with urllib.request.urlopen(opened.served.url + "/healthz", timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    stop(opened.served)  # waits for the listeners still working after their ack
    refs = [m[1] for record in caplog.get_records("call")
            if (m := re.search(r"listener failed \[ref (\w+)\]", record.getMessage()))]
    told_about(opened, refs)


def stored(slack: Harness) -> list[Update]:
    with session_scope(slack.engine) as session:
        return list(session.exec(select(Update).where(Update.period_id != _q2(session))))


def _q2(session: Any) -> int:
    from storage.repo import find_period

    record = find_period(session=session, fy=2024, quarter=2)
    return record.id if record else -1


def only_valid_updates_by_sharon(slack: Harness) -> None:
    for update in stored(slack):
        assert Rag(update.rag) in tuple(Rag)
        assert 0 < len(update.narrative) <= NARRATIVE_MAX
        assert update.submitted_by_slack_id == SHARON
        assert update.deliverable_id in OWNED[SHARON]  # never someone else's


def told_about(slack: Harness, refs: list[str]) -> None:
    """Each failure reference reached the person (a DM, a thread reply or the response_url)."""
    said = " ".join(str(call.params.get("text") or "") for call in slack.fake.calls()
                    if call.method in ("chat.postMessage", "chat.postEphemeral", "response_url"))
    missing = [ref for ref in refs if ref not in said]
    assert not missing, f"failures never told to the person: {missing}"


# -------------------------------------------------------------------------------- the fuzz

@FUZZ
@given(user=users, values=state_values, meta=metadata, callback=st.sampled_from(
    ["update_modal", "ragtime_notice", "unknown"]))
def test_forged_or_malformed_modal_submissions_store_nothing(checked: Fuzzed, user, values,
                                                             meta, callback):
    checked.send(view_submission(callback, values, private_metadata=meta, user_id=user))
    assert stored(checked.slack) == []


@FUZZ
@given(values=state_values, meta=st.one_of(metadata, st.builds(
    lambda d: json.dumps({"d": d, "p": "2024-25-Q3"}), st.integers(1, 4))))
@example(values={"rag": {"value": {"type": "static_select",
                                   "selected_option": {"value": "green"}}},
                 "narrative": {"value": {"type": "plain_text_input", "value": "é" * 20_000}}},
         meta=json.dumps({"d": 1, "p": "2024-25-Q3"}))
def test_an_sros_malformed_submissions_store_only_valid_updates(checked: Fuzzed, values, meta):
    checked.send(view_submission("update_modal", values, private_metadata=meta, user_id=SHARON))
    only_valid_updates_by_sharon(checked.slack)


@FUZZ
@given(user=st.one_of(users, st.just(SHARON)), value=button_values,
       action=st.sampled_from(["open_update", "open_update:amber", "open_round", "nope"]))
def test_malformed_button_clicks_store_nothing(checked: Fuzzed, user, value, action):
    checked.send(block_actions([button(action, value)], user_id=user,
                               response_url=checked.slack.fake.response_url()))
    assert stored(checked.slack) == []


@FUZZ
@given(user=st.one_of(users, st.just(SHARON), st.just(LEAD)), text=texts,
       command=st.sampled_from(["/report-status", "/compile-report"]))
def test_slash_commands_with_any_text_are_answered(checked: Fuzzed, user, text, command):
    assert checked.send(slash_command(command, text, user_id=user,
                                      response_url=checked.slack.fake.response_url())) == 200
    assert stored(checked.slack) == []


@FUZZ
@given(user=users, text=texts, thread=st.one_of(st.none(), st.text(max_size=20)))
def test_dm_messages_from_non_owners_store_nothing(checked: Fuzzed, user, text, thread):
    assert checked.send(dm_message(text, user=user, channel="D0X", thread_ts=thread)) == 200
    assert stored(checked.slack) == []


# -------------------------------------------------------------------------------- raw bodies

BROKEN_BODIES = [
    pytest.param(SlackRequest("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
                 id="payload-not-json"),
    pytest.param(SlackRequest("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
                 id="payload-a-list"),
    pytest.param(SlackRequest("{nope", "application/json"), id="json-not-json"),
    pytest.param(SlackRequest("[1, 2, 3]", "application/json"), id="json-a-list"),
    pytest.param(SlackRequest.json_body({"type": "event_callback", "event": "x"}),
                 id="event-a-string"),
    pytest.param(SlackRequest.interactive({"type": "view_submission", "view": {"id": "V1"}}),
                 id="view-without-type"),
]


@pytest.mark.parametrize("request_", BROKEN_BODIES)
def test_a_body_bolt_cannot_read_is_a_client_error(served_app, request_):
    """Bolt parses a body before checking its signature and raises on one that is not a JSON
    object (or on a view without a type): that must be a 4xx, not a 500."""
    response = served_app.slack.send(request_)
    assert 400 <= response.status < 500, (response.status, response.body)


@pytest.mark.parametrize("request_", BROKEN_BODIES)
@pytest.mark.parametrize("signed", [True, False])
def test_a_body_bolt_cannot_parse_shows_no_traceback_and_harms_nothing(served_app, request_,
                                                                       signed):
    response = served_app.slack.send(request_, signed=signed)
    assert response.status >= 400 and "Traceback" not in response.body
    assert 'File "' not in response.body
    with urllib.request.urlopen(served_app.url + "/healthz", timeout=5) as health:
        assert health.status == 200
    with session_scope(served_app.ctx.engine) as session:
        assert session.exec(select(func.count()).select_from(Update)).one() == 0


# -------------------------------------------------------------------------------- structures

DELETE = object()  # a mutation that removes the field


@dataclass(frozen=True)
class Deep:
    """A value nested ``depth`` deep; written out by ``encode`` (``json`` cannot)."""

    depth: int
    opener: str  # "[" or "{"

    def text(self) -> str:
        if self.opener == "[":
            return "[" * self.depth + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth


def encode(payload: Any) -> str:
    """JSON of ``payload`` with each ``Deep`` written out in place."""
    deep: list[Deep] = []

    def mark(value: Any) -> str:
        if isinstance(value, Deep):
            deep.append(value)
            return f"\u0000deep{len(deep) - 1}\u0000"
        raise TypeError(type(value).__name__)

    text = json.dumps(payload, default=mark)
    for index, value in enumerate(deep):
        text = text.replace(json.dumps(f"\u0000deep{index}\u0000"), value.text())
    return text


deep_values = st.builds(Deep, st.integers(50, 3_000), st.sampled_from("[{"))
id_like = st.one_of(
    st.integers(min_value=2**31 - 2, max_value=2**70), st.integers(max_value=0),
    st.sampled_from(["1", "²", "٣", "9" * 5_000, " 1", "1e3", True, 1.5]),
    st.integers(1, 4))
ragtime_values = st.one_of(  # junk where Ragtime's own JSON goes (button values, metadata)
    st.builds(lambda d, p: json.dumps({"d": d, "p": p, "report": d}), id_like,
              st.one_of(periods, anything)),
    st.builds(lambda deep: deep.text(), deep_values),
    st.builds(lambda deep: json.dumps({"d": 1, "p": "2024-25-Q3", "n": deep.text()}),
              deep_values),
)
replacements = st.one_of(st.just(DELETE), json_values, texts, deep_values, id_like,
                         ragtime_values)


def mutated(payload: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]
            ) -> dict[str, Any]:
    """A copy of ``payload`` with each ``(path, value)`` applied where the path still leads."""
    payload = copy.deepcopy(payload)
    for path, value in changes:
        node: Any = payload
        for key in path[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        last = path[-1]
        if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int)
                                      and last < len(node)):
            if value is DELETE and isinstance(node, dict):
                node.pop(last, None)
            elif value is DELETE:
                del node[last]
            else:
                node[last] = value
    return payload


def changes_of(paths: list[tuple[Any, ...]]) -> st.SearchStrategy[list[tuple[Any, Any]]]:
    return st.lists(st.tuples(st.sampled_from(paths), replacements), min_size=1, max_size=3)


def interactive(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode({"payload": encode(payload)}),
                        "application/x-www-form-urlencoded")


def unwrap(request: SlackRequest) -> dict[str, Any]:
    """The payload a builder of ``tests.support.slack_requests`` made."""
    if request.content_type == "application/json":
        return json.loads(request.body)
    return json.loads(dict(parse_qsl(request.body))["payload"])


COMMON_PATHS = [("type",), ("user",), ("user", "id"), ("user", "team_id"), ("team",),
                ("team", "id"), ("enterprise",), ("trigger_id",), ("api_app_id",),
                ("response_url",), ("event",), ("command",), ("is_enterprise_install",)]
ACTION_PATHS = [
    *COMMON_PATHS, ("actions",), ("actions", 0), ("actions", 0, "action_id"),
    ("actions", 0, "value"),
    ("actions", 0, "block_id"), ("actions", 0, "type"), ("actions", 1), ("container",),
    ("container", "type"), ("container", "channel_id"), ("container", "message_ts"),
    ("channel",), ("channel", "id"), ("message",), ("message", "ts"), ("view",),
    ("view", "type"), ("view", "id"), ("state",), ("state", "values")]
STATE = ("view", "state", "values")
VIEW_PATHS = [
    *COMMON_PATHS, ("view",), ("view", "id"), ("view", "type"), ("view", "callback_id"),
    ("view", "hash"),
    ("view", "private_metadata"), ("view", "team_id"), ("view", "app_installed_team_id"),
    ("view", "state"), ("view", "state", "values"), ("response_urls",),
    *[(*STATE, block) for block in (*FIELD_BLOCKS, "comment", "deliverables")],
    *[(*STATE, block, "value") for block in FIELD_BLOCKS],
    (*STATE, "rag", "value", "selected_option"),
    (*STATE, "rag", "value", "selected_option", "value"),
    (*STATE, "narrative", "value", "value"),
    (*STATE, "recovery_date", "value", "selected_date"),
    (*STATE, "comment", "comment", "value"),
    (*STATE, "deliverables", "deliverables", "selected_options"),
    (*STATE, "deliverables", "deliverables", "selected_options", 0),
    (*STATE, "deliverables", "deliverables", "selected_options", 0, "value")]
EVENT_PATHS = [
    ("type",), ("team_id",), ("enterprise_id",), ("event_id",), ("api_app_id",), ("event",),
    ("authorizations",), ("authorizations", 0), ("authorizations", 0, "team_id"),
    ("authorizations", 0, "enterprise_id"), ("authorizations", 0, "is_enterprise_install"),
    ("is_ext_shared_channel",), ("user",), ("view",), ("actions",),
    *[("event", key) for key in ("type", "user", "channel", "channel_type", "text", "ts",
                                 "thread_ts", "subtype", "bot_id", "client_msg_id", "team",
                                 "user_team", "blocks", "message", "previous_message", "tab",
                                 "view", "files")],
    ("event", "message", "user"), ("event", "blocks", 0)]


def submission_base(callback: str) -> dict[str, Any]:
    """A well-formed submission of the update form (Sharon, deliverable 1) or of the lead's
    request-for-changes modal."""
    if callback == "report_changes_modal":
        values = {"comment": {"comment": input_value("Please add dates")},
                  "deliverables": {"deliverables": {"type": "checkboxes", "selected_options": [
                      {"text": {"type": "plain_text", "text": "GO-1"}, "value": "1"}]}}}
        return unwrap(view_submission(callback, values, user_id=LEAD,
                                      private_metadata=json.dumps({"report": 1})))
    values = {"rag": {"value": selected_value("green", "static_select")},
              "narrative": {"value": input_value("On track")},
              "recovery_date": {"value": {"type": "datepicker", "selected_date": None}}}
    return unwrap(view_submission(callback, values, user_id=SHARON, private_metadata=json.dumps(
        {"d": 1, "p": "2024-25-Q3"})))


@FUZZ
@given(callback=st.sampled_from(["update_modal", "report_changes_modal"]),
       changes=changes_of(VIEW_PATHS))
@example(callback="update_modal", changes=[(("view", "state", "values"), [1, 2])])
@example(callback="update_modal", changes=[(("user",), "U0SHARON")])
@example(callback="update_modal", changes=[(("view", "private_metadata"), 5)])
@example(callback="update_modal", changes=[(("view", "private_metadata"), "[" * 2_000)])
@example(callback="report_changes_modal", changes=[(
    ("view", "state", "values", "deliverables", "deliverables", "selected_options", 0,
     "value"), "²")])
def test_modal_submissions_of_any_structure_are_answered_in_time(checked: Fuzzed, callback,
                                                                 changes):
    checked.send(interactive(mutated(submission_base(callback), changes)))
    only_valid_updates_by_sharon(checked.slack)


@FUZZ
@given(action=st.sampled_from(["open_update", "open_round", "report_approve",
                               "report_request_changes", "report_reopen"]),
       user=st.sampled_from([SHARON, LEAD]), changes=changes_of(ACTION_PATHS))
@example(action="open_update", user=SHARON, changes=[(("actions",), {"a": 1})])
@example(action="open_update", user=SHARON, changes=[(("actions", 0, "value"), 12)])
@example(action="report_approve", user=LEAD, changes=[(("actions", 0, "value"), "9" * 30)])
@example(action="open_update", user=SHARON, changes=[(("event",), "x")])
def test_button_clicks_of_any_structure_are_answered_in_time(checked: Fuzzed, action, user,
                                                             changes):
    value = checked.slack.prompt(SHARON, 1).value if action == "open_update" else (
        "2024-25-Q4" if action == "open_round" else "1")
    base = unwrap(block_actions([button(action, value)], user_id=user,
                                channel_id=checked.slack.fake.dm_channel_for(user),
                                response_url=checked.slack.fake.response_url()))
    checked.send(interactive(mutated(base, changes)))
    only_valid_updates_by_sharon(checked.slack)


@FUZZ
@given(kind=st.sampled_from(["reply", "home"]), changes=changes_of(EVENT_PATHS))
@example(kind="reply", changes=[(("event", "user"), 5)])
@example(kind="reply", changes=[(("authorizations",), {"team_id": "T0RAGTIME"})])
@example(kind="home", changes=[(("event", "user"), ["U0SHARON"])])
def test_events_of_any_structure_are_answered_in_time(checked: Fuzzed, kind, changes):
    if kind == "home":
        base = unwrap(app_home_opened(SHARON))
    else:
        prompt = checked.slack.prompt(SHARON, 1)
        base = unwrap(dm_message("Green - on track", user=SHARON, channel=prompt.channel,
                                 thread_ts=prompt.ts))
    checked.send(SlackRequest(encode(mutated(base, changes)), "application/json"))
    only_valid_updates_by_sharon(checked.slack)


COMMAND_FIELDS = ["token", "team_id", "team_domain", "channel_id", "channel_name", "user_id",
                  "user_name", "command", "text", "api_app_id", "is_enterprise_install",
                  "response_url", "trigger_id", "enterprise_id", "payload", "type", "user",
                  "actions", "event", "view"]
form_values = st.one_of(texts, st.builds(json.dumps, json_values), ragtime_values,
                        st.sampled_from(["", "payload", "U0LEAD", "/report-status"]))


@FUZZ
@given(command=st.sampled_from(["/report-status", "/compile-report"]),
       user=st.sampled_from([SHARON, LEAD, OUTSIDER]),
       changes=st.lists(st.tuples(st.sampled_from(COMMAND_FIELDS),
                                  st.one_of(st.just(DELETE), form_values)),
                        min_size=1, max_size=4))
@example(command="/report-status", user=LEAD, changes=[("user_id", DELETE)])
@example(command="/report-status", user=LEAD, changes=[("payload", '{"type": 5}')])
def test_slash_commands_of_any_structure_are_answered_in_time(checked: Fuzzed, command, user,
                                                              changes):
    # a framework that does not exist: a lead's /compile-report stops before compiling
    text = 'framework="Nope"' if command == "/compile-report" else ""
    fields = dict(parse_qsl(slash_command(command, text, user_id=user,
                                          response_url=checked.slack.fake.response_url()).body))
    for name, value in changes:
        if value is DELETE:
            fields.pop(name, None)
        else:
            fields[name] = value
    checked.send(SlackRequest.form(fields))
    assert stored(checked.slack) == []
