"""The board report in Slack: ``/compile-report``, the draft summary in the governance channel,
and the lead's decisions on it (Approve, Request changes, Reopen).

``publish_report(ctx, target, *, actor, closure=False, cover_overrides=None)`` is the one way
to post a report, for the slash command, ``ragtime compile PERIOD --post`` and the scheduler's
compile job (``post_report(ctx, period)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.reports.blocks import APPROVE, CHANGES_MODAL, REOPEN, REQUEST_CHANGES
from handlers.slack.reports.command import compile_report_command
from handlers.slack.reports.decisions import approve, open_changes_modal, reopen, submit_changes
from handlers.slack.reports.publish import PublishOutcome, post_report, publish_report
from handlers.slack.reports.reprompt import deliver_reprompts, render_reprompt

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext

__all__ = [
    "PublishOutcome",
    "deliver_reprompts",
    "post_report",
    "publish_report",
    "register",
    "render_reprompt",
]


def register(app: App, ctx: AppContext) -> None:
    app.command("/compile-report")(compile_report_command)
    app.action(APPROVE)(approve)
    app.action(REQUEST_CHANGES)(open_changes_modal)
    app.action(REOPEN)(reopen)
    app.view(CHANGES_MODAL)(submit_changes)
