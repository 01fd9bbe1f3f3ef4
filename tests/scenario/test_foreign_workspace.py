"""Only the installed workspace is served (issue 13): a correctly signed request naming another
team or org, wherever Slack puts it, is refused (commands and interactions with a 403, events
acknowledged and ignored so Slack does not retry), and logged without the person's text.

The workspace is ``RAGTIME_SLACK_TEAM_ID`` / ``RAGTIME_SLACK_ENTERPRISE_ID`` when set, else
what ``auth.test`` says for the bot token (the fake Slack answers ``T0RAGTIME``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy.engine import Engine

from bot.framework.example import load_example
from bot.settings import SettingsError, load_settings
from storage.db import session_scope
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import IN_SLACK, LEAD, SHARON, Harness
from tests.support.served_app import serve, settings_for, stop
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

OURS, OTHER = "T0RAGTIME", "T0OTHER"
SECRET = "Green - the secret narrative"
META = json.dumps({"d": 1, "p": "2024-25-Q3"})
FORM = {"rag": {"value": selected_value("green", "static_select")},
        "narrative": {"value": input_value("On track")}}


def payload_of(request: SlackRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        return json.loads(request.body)
    return json.loads(dict(parse_qsl(request.body))["payload"])


def changed(request: SlackRequest, change: Callable[[dict[str, Any]], None]) -> SlackRequest:
    payload = payload_of(request)
    change(payload)
    if request.content_type == "application/json":
        return SlackRequest.json_body(payload)
    return SlackRequest.interactive(payload)


def command(team: str = OURS, **extra: str) -> SlackRequest:
    fields = dict(parse_qsl(slash_command("/report-status", "", user_id=LEAD,
                                          team_id=team).body))
    return SlackRequest.form({**fields, **extra})


def click(slack: Harness, team: str = OURS) -> SlackRequest:
    prompt = slack.prompt(SHARON, 1)
    return block_actions([button("open_update", prompt.value)], user_id=SHARON,
                         channel_id=prompt.channel, message_ts=prompt.ts, team_id=team)


def reply(slack: Harness, team: str = OURS) -> SlackRequest:
    prompt = slack.prompt(SHARON, 1)
    return dm_message(SECRET, user=SHARON, channel=prompt.channel, thread_ts=prompt.ts,
                      team_id=team)


def foreign_requests(slack: Harness) -> dict[str, SlackRequest]:
    """A live request of each surface with another team or org in one of Slack's places."""
    def user_team(p: dict[str, Any]) -> None:
        p["user"]["team_id"] = OTHER

    def installed_team(p: dict[str, Any]) -> None:
        p["view"]["app_installed_team_id"] = OTHER

    def grant(p: dict[str, Any]) -> None:
        p["authorizations"][0]["team_id"] = OTHER

    def event_team(p: dict[str, Any]) -> None:
        p["event"]["team"] = OTHER

    def body_team(p: dict[str, Any]) -> None:
        p["team_id"] = OTHER

    def org(p: dict[str, Any]) -> None:
        p["enterprise"] = {"id": "E0OTHER", "name": "Elsewhere"}

    return {
        "command team_id": command(OTHER),
        "command enterprise_id": command(enterprise_id="E0OTHER"),
        "click team": click(slack, OTHER),
        "click user.team_id": changed(click(slack), user_team),
        "click enterprise": changed(click(slack), org),
        "submission team": view_submission("update_modal", FORM, user_id=SHARON,
                                           private_metadata=META, team_id=OTHER),
        "submission view.app_installed_team_id": changed(
            view_submission("update_modal", FORM, user_id=SHARON, private_metadata=META),
            installed_team),
        "reply team": reply(slack, OTHER),
        "reply authorizations": changed(reply(slack), grant),
        "reply event.team": changed(reply(slack), event_team),
        "reply team_id only": changed(reply(slack), body_team),
        "home opened": changed(app_home_opened(SHARON), body_team),
    }


def test_every_surface_refuses_another_workspace_and_logs_no_text(
        opened: Harness, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    calls = len(opened.fake.calls())

    statuses = {name: opened.served.slack.send(request).status
                for name, request in foreign_requests(opened).items()}

    assert statuses == {name: 200 if name.startswith(("reply", "home")) else 403
                        for name in statuses}
    opened.fake.assert_no_call("views.open", within=0.3)
    assert len(opened.fake.calls()) == calls  # no reply, no form, no Home tab, no response
    assert opened.latest(1) is None and opened.processed() == []
    refusals = [r.getMessage() for r in caplog.records if "another workspace" in r.getMessage()]
    assert len(refusals) == len(statuses)
    assert "T0OTHER" in refusals[0] or "E0OTHER" in refusals[0]
    assert "secret narrative" not in caplog.text


def test_the_same_requests_from_the_installed_workspace_are_served(opened: Harness):
    assert opened.served.slack.send(command(
        response_url=opened.fake.response_url())).status == 200
    assert opened.served.slack.send(click(opened)).status == 200
    opened.fake.wait_for("views.open")
    assert opened.served.slack.send(reply(opened)).status == 200
    opened.fake.wait_for("chat.postMessage", len(opened.fake.calls("chat.postMessage")) + 1)
    assert opened.latest(1) is not None


# ------------------------------------------------------------------ the settings

@pytest.fixture
def serve_with(fake_slack: FakeSlack, engine: Engine, sqlite_url: str
               ) -> Iterator[Callable[..., Harness]]:
    """Serve the example with extra settings (e.g. the workspace named in the settings)."""
    started = []

    with session_scope(engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)

    def start(**overrides: object) -> Harness:
        settings = settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD, **overrides)
        served = serve(settings, fake_slack, engine=engine)
        started.append(served)
        return Harness(served)

    yield start
    for served in started:
        stop(served)


def home_published(slack: Harness, **ids: Any) -> bool:
    """Open the Home tab with the payload's ids changed; whether Ragtime published it."""
    before = len(slack.fake.calls("views.publish"))
    request = app_home_opened(SHARON)
    payload = payload_of(request)
    for key, value in ids.items():
        if key == "authorizations":
            payload["authorizations"][0].update(value)
        else:
            payload[key] = value
    assert slack.served.slack.send(SlackRequest.json_body(payload)).status == 200
    try:
        slack.fake.wait_for("views.publish", before + 1, timeout=1.0)
    except AssertionError:
        return False
    return True


def test_a_team_named_in_the_settings_replaces_auth_test(serve_with):
    slack = serve_with(slack_team_id="T0ELSE")

    assert not home_published(slack)  # auth.test's T0RAGTIME is not the one named
    assert home_published(slack, team_id="T0ELSE",
                          authorizations={"team_id": "T0ELSE"})


GRID = {"enterprise_id": "E0ORG", "authorizations": {"enterprise_id": "E0ORG",
                                                     "team_id": "T0ANY"},
        "team_id": "T0ANY"}


def test_a_team_named_in_the_settings_keeps_the_tokens_org(serve_with,
                                                          fake_slack: FakeSlack):
    fake_slack.installation = {"enterprise_id": "E0ORG"}  # a workspace in a Grid org
    slack = serve_with(slack_team_id=OURS)

    assert home_published(slack, enterprise_id="E0ORG",
                          authorizations={"enterprise_id": "E0ORG"})
    assert not home_published(slack, enterprise_id="E0OTHER",
                              authorizations={"enterprise_id": "E0OTHER"})


def test_an_org_wide_install_serves_every_workspace_of_its_org_only(serve_with):
    slack = serve_with(slack_enterprise_id="E0ORG")

    assert home_published(slack, **GRID)
    assert not home_published(slack, **{**GRID, "enterprise_id": "E0OTHER", "authorizations": {
        "enterprise_id": "E0OTHER", "team_id": "T0ANY"}})
    assert not home_published(slack)  # no org at all: not one of ours


def test_an_org_wide_install_is_found_by_auth_test(serve_with, fake_slack: FakeSlack):
    fake_slack.installation = {"enterprise_id": "E0ORG", "is_enterprise_install": True}
    slack = serve_with()

    assert home_published(slack, **GRID)
    assert not home_published(slack)


def test_a_workspace_in_an_org_needs_both_to_match(serve_with):
    slack = serve_with(slack_team_id=OURS, slack_enterprise_id="E0ORG")

    assert home_published(slack, enterprise_id="E0ORG",
                          authorizations={"enterprise_id": "E0ORG"})
    assert not home_published(slack, enterprise_id="E0ORG", team_id="T0ANY",
                              authorizations={"enterprise_id": "E0ORG", "team_id": "T0ANY"})
    assert not home_published(slack, enterprise_id="E0OTHER",
                              authorizations={"enterprise_id": "E0OTHER"})
    assert home_published(slack)  # our team naming no org: the team id alone shows it


@pytest.mark.parametrize(("name", "value"), [
    ("RAGTIME_SLACK_TEAM_ID", "E0ORG"), ("RAGTIME_SLACK_TEAM_ID", "t0lower"),
    ("RAGTIME_SLACK_ENTERPRISE_ID", "T0TEAM"), ("RAGTIME_SLACK_ENTERPRISE_ID", "E0 ORG"),
])
def test_a_malformed_workspace_setting_stops_start_up_naming_it(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_workspace_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RAGTIME_SLACK_TEAM_ID", " T0ABC123 ")
    monkeypatch.setenv("RAGTIME_SLACK_ENTERPRISE_ID", "")

    settings = load_settings()

    assert (settings.slack_team_id, settings.slack_enterprise_id) == ("T0ABC123", None)
