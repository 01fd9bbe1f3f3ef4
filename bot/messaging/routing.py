"""One messenger per channel, chosen by the outbox row: ``RoutedMessenger``; one governance
channel per chat channel, chosen by the report: ``RoutedReports``.

Every recorded message names the channel that delivers it (``OutboxMessage.via``: ``slack``, the
default, ``teams`` or ``email``); ``ragtime.wiring`` fills ``Ports.messenger`` with a
``RoutedMessenger`` holding the channels this deployment has. Nothing here knows what a channel
does: a row for a channel that is not configured fails permanently, so the governance leads are
told. Likewise a compiled report names the chat channel it is posted on (``ReportRecord.via``:
where the lead asked for it, else ``report_channel_of`` the deployment), and everything later
done to it (its status redrawn, its files, the decisions noted) happens there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from bot.ports import FollowUps, ReportChannel
from bot.ports.closure_view import ClosureView
from bot.ports.messages import PermanentSendError, RecordedMessage, SendError, SentRef
from bot.ports.report_view import ReportView
from bot.ports.reports import PostedMessage, ReportRecord, StatusNote
from bot.ports.updates import Submitted
from bot.settings import Settings

SLACK = "slack"
EMAIL = "email"
TEAMS = "teams"


class ChannelMessenger(Protocol):
    def send(self, message: RecordedMessage) -> SentRef: ...


class RoutedMessenger:
    """Sends each row through the messenger of its ``via``."""

    def __init__(self, messengers: Mapping[str, ChannelMessenger], *,
                 by_kind: Mapping[str, ChannelMessenger] | None = None) -> None:
        self.messengers = dict(messengers)
        self.by_kind = dict(by_kind or {})  # kinds sent the same whatever the row's channel

    def send(self, message: RecordedMessage) -> SentRef:
        # A row for one person on a channel of its own (``via`` set) goes there, whatever its
        # kind; ``by_kind`` sends the kinds that have no such channel (a governance notice).
        messenger = ((self.messengers.get(message.via) if message.via else None)
                     or self.by_kind.get(message.kind)
                     or self.messengers.get(message.via or SLACK))
        if messenger is None:
            raise PermanentSendError(
                f"{message.kind} {message.key} is for {message.via}, which is not configured "
                f"(see .env.example)", error=f"no_{message.via}")
        return messenger.send(message)


class AllFollowUps:
    """The follow-ups of every channel this deployment has (Slack, Teams): each redraws its own
    prompts and tells its own people. Every one runs; the first failure is raised after."""

    def __init__(self, follow_ups: list[FollowUps]) -> None:
        self.follow_ups = list(follow_ups)

    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        failure: SendError | None = None
        for follow_ups in self.follow_ups:
            try:
                follow_ups.after_submit(done, where=where)
            except SendError as error:
                failure = failure or error
        if failure is not None:
            raise failure


def report_channel_of(settings: Settings) -> str:
    """Where reports go unless a lead asked for one elsewhere (the scheduler's compile,
    ``ragtime compile --post``): Slack when it is set up, else Teams."""
    return SLACK if settings.slack_enabled or not settings.teams_enabled else TEAMS


class RoutedReports:
    """The ``ReportChannel`` of each chat channel this deployment has: a report is posted,
    redrawn and decided on the one it names (``ReportRecord.via``; ``default`` when it names
    none). A report on a channel no longer configured fails permanently."""

    def __init__(self, channels: Mapping[str, ReportChannel], *, default: str) -> None:
        self.channels = dict(channels)
        self.default = default

    def _on(self, report: ReportRecord) -> ReportChannel:
        via = report.via or self.default
        channel = self.channels.get(via)
        if channel is None:
            raise PermanentSendError(f"report {report.id} is posted in {via}, which is not "
                                     "configured (see .env.example)", error=f"no_{via}")
        return channel

    def post_draft(self, report: ReportRecord, view: ReportView | ClosureView) -> PostedMessage:
        return self._on(report).post_draft(report, view)

    def show_status(self, report: ReportRecord, posted: PostedMessage, note: StatusNote
                    ) -> None:
        self._on(report).show_status(report, posted, note)

    def upload_files(self, report: ReportRecord, paths: Sequence[Path]) -> None:
        self._on(report).upload_files(report, paths)

    def note_in_thread(self, report: ReportRecord, note: StatusNote) -> None:
        self._on(report).note_in_thread(report, note)

    def permalink(self, report: ReportRecord) -> str | None:
        return self._on(report).permalink(report)
