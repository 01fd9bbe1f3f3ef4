"""The ``ReportChannel`` port on Slack: the governance channel's report summaries."""

from __future__ import annotations

from handlers.slack.context import SlackContext


class SlackReportChannel:
    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx
