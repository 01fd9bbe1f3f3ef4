"""The one Slack workspace Ragtime serves, and which workspace a payload says it comes from.

A request signed with our signing secret may still come from another workspace (the app
installed twice, a Slack Connect partner, a leaked secret). ``Workspace`` names ours:
``RAGTIME_SLACK_TEAM_ID`` / ``RAGTIME_SLACK_ENTERPRISE_ID`` when set, else what Slack's
``auth.test`` says for the bot token at start-up. On an Enterprise Grid org-wide install
(``is_enterprise_install``) the org is what counts and any of its workspaces may use Ragtime;
otherwise every team id the payload names must be ours, and an enterprise id only if ours is
in a Grid org.

``strangers`` reads every place Slack puts these ids (the payload's ``team_id``/``team``, the
acting user's team, the view's teams, the event's team, ``authorizations`` and ``enterprise``);
it runs after ``handlers.slack.shapes`` checked their types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.settings import Settings


@dataclass(frozen=True)
class Workspace:
    team_id: str | None  # None: an org-wide install, any team of ``enterprise_id``
    enterprise_id: str | None  # None: not in an Enterprise Grid org

    @classmethod
    def installed(cls, settings: Settings, client: WebClient) -> Workspace:
        """From the settings; what they leave open from ``auth.test`` for the bot token. An
        org alone in the settings means an org-wide install (any team of the org)."""
        team, org = settings.slack_team_id, settings.slack_enterprise_id
        if org:
            return cls(team, org)
        found = client.auth_test()
        org = found.get("enterprise_id") or None
        if team:
            return cls(team, org)
        if found.get("is_enterprise_install") and org:
            return cls(None, org)
        return cls(found.get("team_id") or None, org)

    def strangers(self, body: dict[str, Any]) -> list[str]:
        """The ids ``body`` names that are not this workspace's (empty: the payload is ours).

        A payload naming no id of the kind that decides (no team, or on an org-wide install no
        enterprise) cannot show it is ours and counts as a stranger too."""
        teams, enterprises = team_ids(body), enterprise_ids(body)
        strangers: list[str] = []
        if self.team_id is not None:
            strangers += [team for team in teams if team != self.team_id] or (
                [] if teams else ["no team"])
        if self.enterprise_id is None:
            strangers += enterprises
        else:
            strangers += [org for org in enterprises if org != self.enterprise_id] or (
                [] if enterprises or self.team_id is not None else ["no enterprise"])
        return strangers


def team_ids(body: dict[str, Any]) -> set[str]:
    event = _object(body.get("event"))
    user, view, team = _object(body.get("user")), _object(body.get("view")), body.get("team")
    named = [body.get("team_id"), user.get("team_id"), view.get("team_id"),
             view.get("app_installed_team_id"), event.get("team"), event.get("user_team"),
             _object(team).get("id") if isinstance(team, dict) else team]
    named += [_object(grant).get("team_id") for grant in _list(body.get("authorizations"))]
    return {value for value in named if isinstance(value, str) and value}


def enterprise_ids(body: dict[str, Any]) -> set[str]:
    org = body.get("enterprise")
    named = [body.get("enterprise_id"), _object(body.get("team")).get("enterprise_id"),
             _object(org).get("id") if isinstance(org, dict) else org]
    named += [_object(grant).get("enterprise_id")
              for grant in _list(body.get("authorizations"))]
    return {value for value in named if isinstance(value, str) and value}


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
