"""The Microsoft Teams settings and ``RAGTIME_CHANNEL_ORDER``: defaults, one-line errors naming
the setting, and which chat channels a deployment must have set up."""

from __future__ import annotations

import pytest

from bot.settings import (
    TEAMS_LOGIN_URL,
    TEAMS_OPENID_METADATA_URL,
    SettingsError,
    load_settings,
)

APP_ID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
TEAMS = {"RAGTIME_TEAMS_APP_ID": APP_ID, "RAGTIME_TEAMS_APP_PASSWORD": "s3cret",
         "RAGTIME_TEAMS_TENANT_ID": TENANT}
NO_SLACK = {"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None, "SLACK_APP_TOKEN": None}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch, tmp_path):
    """Only what a test gives: no .env from the working directory, no inherited setting."""
    monkeypatch.chdir(tmp_path)
    for name in (*TEAMS, "RAGTIME_CHANNEL_ORDER", "RAGTIME_TEAMS_LOGIN_URL",
                 "RAGTIME_TEAMS_OPENID_METADATA_URL", "RAGTIME_TEAMS_GRAPH",
                 "RAGTIME_TEAMS_GOVERNANCE_CONVERSATION", *NO_SLACK):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_microsofts_public_cloud_and_slack_teams_email():
    settings = load_settings()
    assert settings.teams_login_url == TEAMS_LOGIN_URL
    assert settings.teams_openid_metadata_url == TEAMS_OPENID_METADATA_URL
    assert settings.channel_order == ("slack", "teams", "email")
    assert not settings.teams_graph and not settings.teams_enabled


def test_teams_settings_are_read_and_normalised():
    settings = load_settings(**TEAMS, RAGTIME_TEAMS_LOGIN_URL="http://127.0.0.1:9/",
                             RAGTIME_TEAMS_GOVERNANCE_CONVERSATION=" 19:abc@thread.tacv2 ",
                             RAGTIME_TEAMS_GRAPH="true", RAGTIME_CHANNEL_ORDER=" Teams,EMAIL ")
    assert settings.teams_app_id == APP_ID.lower()
    assert settings.teams_login_url == "http://127.0.0.1:9"
    assert settings.teams_governance_conversation == "19:abc@thread.tacv2"
    assert settings.teams_graph is True
    assert settings.channel_order == ("teams", "email")
    settings.require_channels()  # Teams alone is enough: no Slack setting asked for


@pytest.mark.parametrize(("name", "value", "says"), [
    ("RAGTIME_TEAMS_APP_ID", "my-bot", "must be a GUID"),
    ("RAGTIME_TEAMS_TENANT_ID", "nhs.net", "must be a GUID"),
    ("RAGTIME_TEAMS_LOGIN_URL", "login.microsoftonline.com", "must be an http(s) URL"),
    ("RAGTIME_TEAMS_OPENID_METADATA_URL", "ftp://x", "must be an http(s) URL"),
    ("RAGTIME_TEAMS_GRAPH", "perhaps", "valid boolean"),
    ("RAGTIME_CHANNEL_ORDER", "slack,fax", "must list some of slack, teams, email"),
    ("RAGTIME_CHANNEL_ORDER", "email,email", "once each"),
    ("RAGTIME_CHANNEL_ORDER", " , ", "must list some of"),
])
def test_a_malformed_setting_is_one_line_naming_it(name, value, says):
    with pytest.raises(SettingsError) as caught:
        load_settings(**{name: value})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"bad setting: {name}: ") and says in message


@pytest.mark.parametrize("missing", list(TEAMS))
def test_a_half_set_up_teams_names_what_is_missing(missing):
    settings = load_settings(**{**TEAMS, missing: None})
    with pytest.raises(SettingsError) as caught:
        settings.require_channels()
    assert str(caught.value) == (f"missing setting(s): {missing} "
                                 "(see .env.example: 'Microsoft Teams')")


def test_without_any_chat_channel_the_slack_token_is_named_as_before():
    with pytest.raises(SettingsError, match="missing setting\\(s\\): SLACK_BOT_TOKEN"):
        load_settings().require_channels()


def test_slack_and_teams_together_need_both_whole():
    settings = load_settings(**TEAMS, SLACK_SIGNING_SECRET="x")
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        settings.require_channels()


def test_governance_leads_take_aad_object_ids_and_emails():
    settings = load_settings(RAGTIME_GOVERNANCE_LEADS=f"U012AB, {TENANT.upper()}, A@Trust.NHS.uk")
    assert settings.governance_leads == {"U012AB", TENANT, "a@trust.nhs.uk"}
