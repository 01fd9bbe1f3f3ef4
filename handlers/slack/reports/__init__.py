"""The board report in Slack: ``/compile-report``, the draft summary in the governance channel,
and the lead's decisions on it (Approve, Request changes, Reopen).

The work is ``bot.reports.publish.publish_report`` (the one way to post a report, for the slash
command, ``ragtime compile PERIOD --post`` and the scheduler's ``post_report``) and
``bot.reports.decisions``; this package is their Slack surface: the listeners (each behind the
``leads_only`` middleware), the Block Kit, the ``ReportChannel`` port on Slack (``channel``) and
the renderer of the SROs' re-prompts (``reprompt``, registered with the Slack outbox on import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.slack.guards import leads_only
from handlers.slack.reports.blocks import (
    APPROVE,
    CHANGES_MODAL,
    COMMENT_BLOCK,
    REOPEN,
    REQUEST_CHANGES,
)
from handlers.slack.reports.command import compile_report_command
from handlers.slack.reports.decisions import approve, open_changes_modal, reopen, submit_changes
from handlers.slack.reports.leads import REFUSAL
from handlers.slack.reports.reprompt import render_reprompt

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.context import AppContext

__all__ = ["register", "render_reprompt"]


def register(app: App, ctx: AppContext) -> None:
    leads = [leads_only(REFUSAL)]
    app.command("/compile-report", middleware=leads)(compile_report_command)
    app.action(APPROVE, middleware=leads)(approve)
    app.action(REQUEST_CHANGES, middleware=leads)(open_changes_modal)
    app.action(REOPEN, middleware=leads)(reopen)
    app.view(CHANGES_MODAL, middleware=[leads_only(REFUSAL, field=COMMENT_BLOCK)])(
        submit_changes)
