"""Fuzzing what reaches ``POST /slack/events``: signed requests carrying malformed payloads.

Slack payloads are built as Slack sends them, then their fields are replaced with random values:
wrong types, missing keys, huge strings, other people's deliverables, text that is not JSON. Every
request is signed, so it gets past the signature check and reaches Bolt and our listeners. What
must hold for every request: an HTTP answer that is not a server error and shows no traceback;
nothing stored for anyone who may not submit; whatever the app does store is a valid update; a
listener that fails tells the person (with a reference) rather than going quiet; the server is
still healthy afterwards.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.collection.rules import NARRATIVE_MAX
from storage.db import session_scope
from storage.models import Rag, Update
from tests.scenario.conftest import LEAD, OUTSIDER, OWNED, SHARON, Harness
from tests.support.served_app import stop
from tests.support.slack_requests import (
    SlackRequest,
    block_actions,
    button,
    dm_message,
    slash_command,
    view_submission,
)

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SERVER_ERROR = 500  # and above
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
    """The served app with the round open, and the HTTP statuses it answered."""

    slack: Harness
    server_errors: int = 0

    def send(self, request: SlackRequest) -> int:
        """POST ``request``; the answer never shows a traceback. A 5xx is counted: it is
        allowed only when a listener failed and the error handler told the person."""
        response = self.slack.served.slack.send(request)
        assert "Traceback" not in response.body and 'File "' not in response.body
        if response.status >= SERVER_ERROR:
            self.server_errors += 1
        return response.status


@pytest.fixture
def checked(opened: Harness, caplog: pytest.LogCaptureFixture) -> Iterator[Fuzzed]:
    """The opened round; afterwards: healthy, and every failure told to the person."""
    caplog.set_level(logging.ERROR, logger="ragtime.app")
    fuzzed = Fuzzed(opened)
    yield fuzzed
    with urllib.request.urlopen(opened.served.url + "/healthz", timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    stop(opened.served)  # waits for the listeners still working after their ack
    refs = [m[1] for record in caplog.get_records("call")
            if (m := re.search(r"listener failed \[ref (\w+)\]", record.getMessage()))]
    assert fuzzed.server_errors <= len(refs), "a server error no listener failure explains"
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
