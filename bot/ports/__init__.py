"""What the domain needs from the channels that reach people, as small Protocols.

The domain never imports a channel. ``ragtime.wiring`` fills ``Ports`` with the Slack
implementations in ``handlers.slack`` (an email channel can fill the same ports later), and every
``bot`` flow reaches people only through ``ctx.ports``:

- ``Messenger`` delivers one recorded outbox message (a prompt, reminder, escalation, notice or
  re-prompt) and says where it went;
- ``Directory`` finds a person's chat account by email, and the email of an account;
- ``ReportChannel`` posts a compiled report to the governance channel, redraws its status,
  uploads its files and notes decisions in its thread;
- ``FollowUps`` tells people what a stored update changed (the confirmation, refreshed prompts,
  co-owners);
- ``AppInstaller`` (optional: Teams with Microsoft Graph) adds Ragtime in the channel for a
  person, found by email, who has not added it themselves.

Channels raise the errors of ``bot.ports.messages`` (``PermanentSendError``,
``TransientSendError``). The values the ports carry live beside them in this package
(``messages``, ``updates``, ``reports``, ``report_view``, ``closure_view``), so the ports and
``bot.context`` sit below every business area that uses them: no import, typed or not, runs up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.ports.closure_view import ClosureView
from bot.ports.messages import (
    PermanentSendError,
    RecordedMessage,
    SendError,
    SentRef,
    TransientSendError,
)
from bot.ports.report_view import ReportView
from bot.ports.reports import PostedMessage, ReportRecord, StatusNote
from bot.ports.updates import Submitted

__all__ = [
    "AppInstaller",
    "Directory",
    "FollowUps",
    "Messenger",
    "PermanentSendError",
    "Ports",
    "RecordedMessage",
    "ReportChannel",
    "SendError",
    "SentRef",
    "TransientSendError",
]


class Messenger(Protocol):
    def send(self, message: RecordedMessage) -> SentRef:
        """Render ``message`` by its ``kind`` and deliver it; raise ``SendError`` if not."""
        ...


class Directory(Protocol):
    def user_for_email(self, email: str) -> str | None:
        """The chat account of ``email``, or None when there is none."""
        ...

    def email_of(self, user_id: str) -> str | None:
        """The email the channel holds for ``user_id``, or None."""
        ...


class ReportChannel(Protocol):
    """The governance channel, where a compiled report's summary is posted and decided on."""

    def post_draft(self, report: ReportRecord, view: ReportView | ClosureView) -> PostedMessage:
        """Post the summary of a new draft with its decision buttons; what was posted comes
        back to be stored. Raises ``bot.reports.errors.PublishError`` saying what to do when
        the channel refuses it."""
        ...

    def show_status(self, report: ReportRecord, posted: PostedMessage, note: StatusNote
                    ) -> None:
        """Redraw the summary as ``posted`` with ``note`` (approved, superseded…)."""
        ...

    def upload_files(self, report: ReportRecord, paths: Sequence[Path]) -> None:
        """Attach the report files to the posted summary (``TransientSendError``: try again)."""
        ...

    def note_in_thread(self, report: ReportRecord, note: StatusNote) -> None:
        """A line under the posted summary recording ``note``: a decision, a failed upload."""
        ...

    def permalink(self, report: ReportRecord) -> str | None:
        """A link to the posted summary, or None when the channel gives none."""
        ...


class FollowUps(Protocol):
    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        """Confirm ``done`` to its author — in
        ``where`` (channel, thread) when given — refresh every prompt of the deliverable and tell
        the co-owners. Raises ``SendError`` when the confirmation cannot be delivered."""
        ...


class AppInstaller(Protocol):
    def install_for(self, email: str) -> str:
        """Add Ragtime for the person whose email (or sign-in name) is ``email``: what came of
        it in the channel's words (installed, already installed, not found…); ``SendError``
        when the channel refuses or cannot be reached."""
        ...


@dataclass
class Ports:
    """The channel implementations a running Ragtime uses (filled by ``ragtime.wiring``).

    ``teams_installer``: None unless Teams is set up with Microsoft Graph
    (``RAGTIME_TEAMS_GRAPH=true``)."""

    messenger: Messenger
    directory: Directory
    reports: ReportChannel
    follow_ups: FollowUps
    teams_installer: AppInstaller | None = None
