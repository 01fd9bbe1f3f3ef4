"""The ``ReportChannel`` port in Teams: report summaries in the governance channel or group chat
(``RAGTIME_TEAMS_GOVERNANCE_CONVERSATION``), redrawn in place after a decision.

The conversation's service URL is the one Teams last gave Ragtime (a tenant's conversations share
their region's), so someone must have added the app before the first post."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.context import AppContext
from bot.framework.teams import latest_service_url
from bot.ports.closure_view import ClosureView
from bot.ports.messages import PermanentSendError, SendError
from bot.ports.report_view import ReportView
from bot.ports.reports import PostedMessage, ReportRecord, StatusNote
from bot.reports.downloads import LINK_DAYS, download_link, keep_files
from bot.reports.errors import PublishError
from handlers.teams.cards.build import card_activity
from handlers.teams.cards.report import (
    STATUS_ID,
    files_card,
    report_card,
    status_line,
    status_text,
    summary_text,
)
from handlers.teams.cards.update import notice_card
from handlers.teams.gateway import TeamsGateway, Where


class TeamsReportChannel:
    def __init__(self, ctx: AppContext, gateway: TeamsGateway) -> None:
        self.ctx = ctx
        self.gateway = gateway

    def _where(self, conversation: str | None = None) -> Where:
        conversation = conversation or self.ctx.settings.teams_governance_conversation
        if not conversation:
            raise PublishError("Set RAGTIME_TEAMS_GOVERNANCE_CONVERSATION (the governance "
                               "channel or group chat in Teams) to post reports there.")
        service_url = latest_service_url(self.ctx.engine)
        if not service_url:
            raise PublishError("Add Ragtime in Teams (to the governance channel, or for "
                               "yourself) before posting a report there.")
        return Where(service_url, conversation)

    def post_draft(self, report: ReportRecord, view: ReportView | ClosureView) -> PostedMessage:
        card = report_card(report, view, StatusNote("draft"), self.ctx.settings.tz)
        activity = card_activity(card, summary_text(view))
        where = self._where()
        try:
            ident = self.gateway.post(where, activity)
        except SendError as error:
            raise PublishError(f"I could not post the {report.target.label} report in Teams: "
                               f"{error.error}. Check RAGTIME_TEAMS_GOVERNANCE_CONVERSATION and "
                               "that Ragtime is added there.") from error
        return PostedMessage(channel=where.conversation_id, ts=ident,
                             text=summary_text(view), blocks=[activity])

    def show_status(self, report: ReportRecord, posted: PostedMessage, note: StatusNote
                    ) -> None:
        if not posted.blocks:
            return
        activity = dict(posted.blocks[0])
        attachment = dict(activity["attachments"][0])
        content = dict(attachment["content"])
        body = [item for item in content.get("body", []) if item.get("id") != STATUS_ID]
        body.append(status_line(note).model_dump(by_alias=True, exclude_none=True))
        content["body"] = body
        if note.kind not in ("draft", "upload_failed", "reopened"):
            content.pop("actions", None)
        attachment["content"] = content
        activity["attachments"] = [attachment]
        self.gateway.update(self._where(posted.channel), posted.ts, activity)

    def upload_files(self, report: ReportRecord, paths: Sequence[Path]) -> None:
        """The files as links under the summary: kept by Ragtime, signed, expiring
        (``bot.reports.downloads``). A bot cannot attach a file to a channel message without
        Graph permissions, which NHSmail's tenant does not grant."""
        if not self.ctx.settings.form_enabled:
            raise PermanentSendError("set RAGTIME_PUBLIC_URL and RAGTIME_SECRET_KEY to share the "
                                     "report's files in Teams", error="no_download_links")
        kept = keep_files(self.ctx.engine, report.id, paths)
        links = [(name, download_link(self.ctx.settings, ident)) for ident, name in kept]
        card = files_card(report.target.label, links, days=LINK_DAYS)
        self.gateway.post(self._where(report.channel),
                          card_activity(card, f"Board paper files for {report.target.label}"))

    def note_in_thread(self, report: ReportRecord, note: StatusNote) -> None:
        if not report.channel:
            return
        text = status_text(note)
        if note.comment:
            text += f": {note.comment}"
        self.gateway.post(self._where(report.channel),
                          card_activity(notice_card(text, title=report.target.label), text))

    def permalink(self, report: ReportRecord) -> str | None:
        return None
