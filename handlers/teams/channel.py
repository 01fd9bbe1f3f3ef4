"""Teams as one channel of a running Ragtime: its gateway and its sides of the domain's ports,
built once per context by the composition root (``ragtime.wiring``).

In a deployment with Slack, Teams adds a messenger (rows whose ``via`` is ``teams``) and
follow-ups (its prompt cards redrawn) beside Slack's. Without Slack, ``teams_ports`` fills every
port: the directory finds no chat account by email (Teams gives none without Microsoft Graph:
people are reached once they add the app), and reports are posted where
``RAGTIME_TEAMS_GOVERNANCE_CONVERSATION`` says (``handlers.teams.report_channel``). With
``RAGTIME_TEAMS_GRAPH=true`` its ``installer`` (``handlers.teams.graph``) adds Ragtime in Teams
for people who have not added it, when a round opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.context import AppContext
from handlers.teams.commands import on_message
from handlers.teams.decisions import TEAMS_DECISION, decide
from handlers.teams.followups import FollowUpSender, TeamsFollowUps
from handlers.teams.gateway import TeamsGateway
from handlers.teams.graph import TeamsGraph
from handlers.teams.inbound import TEAMS_ACTIVITY
from handlers.teams.messenger import GovernanceMessenger, TeamsMessenger
from handlers.teams.work import MessageHandler, do_activity


@dataclass
class TeamsChannel:
    ctx: AppContext
    gateway: TeamsGateway
    messenger: TeamsMessenger = field(init=False)
    follow_ups: TeamsFollowUps = field(init=False)
    follow_up_sender: FollowUpSender = field(init=False)
    governance: GovernanceMessenger = field(init=False)
    installer: TeamsGraph | None = field(init=False)
    on_message: MessageHandler | None = None

    def __post_init__(self) -> None:
        self.messenger = TeamsMessenger(self.ctx, self.gateway)
        self.governance = GovernanceMessenger(self.ctx, self.gateway)
        self.follow_ups = TeamsFollowUps(self.ctx, self.gateway)
        self.follow_up_sender = FollowUpSender(self.ctx)
        self.installer = TeamsGraph(self.ctx.settings) if self.ctx.settings.teams_graph else None

    def work(self) -> dict[str, Any]:
        """The worker's work by inbox kind."""
        def activity(payload: dict[str, Any]) -> None:
            do_activity(self.ctx, self.gateway, payload, on_message=self.on_message)
        return {TEAMS_ACTIVITY: activity,
                TEAMS_DECISION: lambda payload: decide(self.ctx, payload)}


class NoDirectory:
    """The ``Directory`` without Slack: no chat account is found by email."""

    def user_for_email(self, email: str) -> str | None:
        return None

    def email_of(self, user_id: str) -> str | None:
        return None


def teams_channel(ctx: AppContext, gateway: TeamsGateway | None = None) -> TeamsChannel:
    return TeamsChannel(ctx, gateway or TeamsGateway(ctx.settings), on_message=on_message)
