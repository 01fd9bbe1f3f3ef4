"""The Slack app manifest declares what the app uses, and no more."""

from __future__ import annotations

import yaml

from tests.paths import ROOT

MANIFEST = ROOT / "manifest.yml"


def test_manifest_declares_commands_events_and_least_scopes():
    manifest = yaml.safe_load(MANIFEST.read_text())
    features, settings = manifest["features"], manifest["settings"]

    commands = {c["command"]: c for c in features["slash_commands"]}
    assert sorted(commands) == ["/compile-report", "/report-status"]
    assert commands["/compile-report"]["description"] == "Compile the draft board report"
    assert commands["/compile-report"]["usage_hint"] == "[2024/25 Q2] [closure]"
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted([
        "chat:write", "im:write", "im:history", "commands", "users:read", "users:read.email",
        "files:write", "files:read"])
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_home_opened", "message.im", "user_change"]
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                    "messages_tab_read_only_enabled": False}
    urls = [c["url"] for c in commands.values()] + [
        settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert set(urls) == {"https://YOUR-HOST/slack/events"}
    assert manifest["display_information"]["name"] == "Ragtime"
    assert "socket_mode_enabled" in settings
