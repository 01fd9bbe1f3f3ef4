"""The domain's ports filled with their Slack implementations (``bot.ports``)."""

from __future__ import annotations

from bot.collection.closing import OUTCOME_REQUEST
from bot.ports import Ports
from handlers.slack.context import SlackContext
from handlers.slack.directory import SlackDirectory
from handlers.slack.followups import SlackFollowUps
from handlers.slack.outbox import SlackMessenger, register_renderer
from handlers.slack.outcome_requests import render_outcome_request
from handlers.slack.report_channel import SlackReportChannel


def slack_ports(ctx: SlackContext) -> Ports:
    register_renderer(OUTCOME_REQUEST, render_outcome_request)
    return Ports(messenger=SlackMessenger(ctx), directory=SlackDirectory(ctx.gateway),
                 reports=SlackReportChannel(ctx), follow_ups=SlackFollowUps(ctx))
