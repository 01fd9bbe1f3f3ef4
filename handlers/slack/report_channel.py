"""The ``ReportChannel`` port on Slack: the report summaries in the governance channel.

``bot.reports.publish`` and ``bot.reports.decisions`` decide what happens; this class says it
in Slack: the summary's Block Kit (``handlers.slack.blocks.report``) with its status and
buttons, the redraws after a decision, the files in the summary's thread and the thread notes.
Slack's errors are ``bot.ports.messages`` errors (the gateway's subclass them), except a
summary that cannot be posted at all, which becomes a ``PublishError`` saying what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.ports.reports import PostedMessage, ReportRecord, StatusNote
from bot.reports import ClosureView, ReportView
from bot.reports.errors import PublishError
from handlers.slack.blocks.report import (
    closure_body,
    report_body,
    status_blocks,
    summary_text,
    thread_note,
    with_status,
)
from handlers.slack.context import SlackContext
from handlers.slack.gateway import SlackSendError


class SlackReportChannel:
    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx

    def post_draft(self, report: ReportRecord, view: ReportView | ClosureView) -> PostedMessage:
        tz = self.ctx.settings.tz
        channel = self.ctx.settings.governance_channel or ""
        if isinstance(view, ClosureView):
            body = closure_body(view, compiled_by=report.compiled_by,
                                compiled_at=report.compiled_at, tz=tz)
        else:
            body = report_body(view, compiled_by=report.compiled_by,
                               compiled_at=report.compiled_at, tz=tz)
        blocks = with_status(body, status_blocks(report, StatusNote("draft"), tz))
        text = summary_text(view)
        try:
            posted = self.ctx.gateway.post_message(channel, text, blocks)
        except SlackSendError as error:
            hint = (" Invite Ragtime to the channel (`/invite @Ragtime`) and try again."
                    if error.error in ("not_in_channel", "channel_not_found") else "")
            raise PublishError(f"I could not post the {report.target.label} report to "
                               f"<#{channel}>: {error.error}.{hint}") from error
        return PostedMessage(channel=posted.channel, ts=posted.ts, text=text, blocks=blocks)

    def show_status(self, report: ReportRecord, posted: PostedMessage, note: StatusNote
                    ) -> None:
        blocks = with_status(posted.blocks, status_blocks(report, note, self.ctx.settings.tz))
        self.ctx.gateway.update_message(posted.channel, posted.ts, posted.text, blocks)

    def upload_files(self, report: ReportRecord, paths: Sequence[Path]) -> None:
        assert report.channel and report.ts
        comment = (f"Board paper files for {report.target.label}: "
                   + ", ".join(path.suffix.lstrip(".").upper() for path in paths) + ".")
        self.ctx.gateway.upload_files(report.channel, list(paths), initial_comment=comment,
                                      thread_ts=report.ts)

    def note_in_thread(self, report: ReportRecord, note: StatusNote) -> None:
        if not report.channel or not report.ts:
            return
        self.ctx.gateway.post_message(report.channel,
                                      thread_note(report, note, self.ctx.settings.tz),
                                      thread_ts=report.ts)

    def permalink(self, report: ReportRecord) -> str | None:
        if not report.channel or not report.ts:
            return None
        return self.ctx.gateway.permalink(report.channel, report.ts)
