"""``publish_report``: compile a report and post it to the governance channel.

One function for the slash command, ``ragtime compile PERIOD --post`` and the scheduler's
compile job (``post_report``). It

1. builds the report's view and compares its content hash with the last draft posted for the
   same period (``bot.reports.records.prepare_draft``): unchanged → nothing is posted again, the
   outcome links to that draft (and uploads its files if they never arrived);
2. otherwise writes every format in a child process (``bot.reports.isolated.compile_in_child``:
   rendering the PDF would otherwise hold this process's GIL for seconds, so Slack acks
   waiting meanwhile would be late, and keep its memory), records the compile, posts the
   summary with its Approve / Request changes buttons, marks older drafts of the same period as
   superseded, and uploads the files in the summary's thread.

The channel is reached only through ``ctx.channels.reports`` (``bot.ports.ReportChannel``).
Failures to post raise ``PublishError`` with what to do; a failed upload (after the channel's
own retries and ours) is said in the thread and in the outcome, and compiling again retries it.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.calendar.periods import Period
from bot.framework.choice import FrameworkChoiceError, choose_framework
from bot.framework.lifecycle import closing_in
from bot.messaging.routing import SLACK, TEAMS, report_channel_of
from bot.ports.messages import SendError, TransientSendError
from bot.ports.reports import ReportRecord, StatusNote, Target
from bot.reports import FORMATS, CompiledFiles, ReportError
from bot.reports.errors import PublishError
from bot.reports.isolated import CompileCrashed, compile_in_child
from bot.reports.records import (
    Draft,
    earlier_drafts,
    mark_files_uploaded,
    mark_posted,
    note_unchanged,
    posted_message,
    prepare_draft,
    record_compile,
)
from bot.reports.targets import (
    CompileRequest,
    default_period,
    normalise_cover,
    parse_compile_text,
    resolve_target,
)
from bot.settings import Settings
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

UPLOAD_ATTEMPTS = 3
UPLOAD_RETRY_SECONDS = 2.0
UPLOAD_ORDER = ("docx", "pdf", "html", "md")

Progress = Callable[[str], None]

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class PublishOutcome:
    """What ``publish_report`` did; ``str()`` is a line for the terminal or a job log (the
    Slack command words its own reply from the same values)."""

    target: Target
    report: ReportRecord
    posted: bool  # a new summary was posted (False: unchanged since ``report``)
    files: tuple[str, ...] = ()  # uploaded now
    upload_error: str | None = None
    link: str | None = None
    posted_at_text: str = ""

    @property
    def unchanged(self) -> bool:
        return not self.posted

    def __str__(self) -> str:
        if self.posted:
            text = (f"{self.target.label}: draft posted to {self.report.channel} "
                    f"(report {self.report.id}, {len(self.files)} files)")
        else:
            text = (f"{self.target.label}: unchanged since the draft posted at "
                    f"{self.posted_at_text}; re-posting the link: "
                    f"{self.link or f'{self.report.channel} {self.report.ts}'}")
        if self.upload_error:
            text += f"; the files could not be uploaded: {self.upload_error}"
        return text


def publish_report(
    ctx: AppContext,
    target: Target | Period | str | None,
    *,
    actor: str,
    closure: bool = False,
    cover_overrides: Mapping[str, Any] | None = None,
    out_dir: Path | None = None,
    formats: Iterable[str] = FORMATS,
    progress: Progress | None = None,
    framework: str | None = None,
    via: str | None = None,
) -> PublishOutcome:
    """Compile ``target`` and post it to ``RAGTIME_GOVERNANCE_CHANNEL`` (see the module doc).

    ``target``: a ``Target``, a ``Period``, text such as ``"2024/25 Q2"`` / ``"2024/25"`` (with
    ``closure=True``), or ``None`` for the default period (the open round's, else the previous
    quarter). ``framework``: the framework's name (else the only one; with several and none
    named, nothing is compiled and the error lists them, see ``bot.framework.choice``).
    ``out_dir`` keeps the files there (default: a temporary folder). ``via``: the chat
    channel the lead asked in (``slack``, ``teams``): the paper is posted there, in that
    channel's governance conversation; None: this deployment's (``report_channel_of``). Raises
    ``PublishError`` (a message for the user) when nothing can be posted.
    """
    via = via or report_channel_of(ctx.settings)
    _check_where(ctx.settings, via)
    resolved = resolve_target(ctx, target, closure=closure)
    step = progress or (lambda _message: None)
    cover = normalise_cover(cover_overrides)
    framework_id = chosen_framework(ctx, framework, target=resolved)
    with _lock(f"{framework_id}-{resolved.key}"):
        draft = prepare_draft(ctx.engine, resolved, today=ctx.today(), cover=cover,
                              framework_id=framework_id)
        # Unchanged and already posted where it is asked for: that draft says it all.
        if draft.unchanged and (draft.last_posted is None
                                or (draft.last_posted.via or report_channel_of(ctx.settings))
                                == via):
            return _unchanged(ctx, draft, actor=actor, formats=formats, out_dir=out_dir,
                              step=step, cover=cover)
        with ExitStack() as stack:
            folder = out_dir or Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="ragtime-report-")))
            files = _compile(ctx, resolved, folder, formats=formats, cover=cover, step=step,
                             framework_id=framework_id)
            report = record_compile(ctx.engine, draft, content_hash=files.content_hash,
                                    by=actor, at=ctx.now(), cover=cover, via=via)
            step(f"posting to <#{ctx.settings.governance_channel}>" if via == SLACK
                 else "posting to the governance conversation in Teams")
            posted = ctx.channels.reports.post_draft(report, files.view)
            report = mark_posted(ctx.engine, report.id, posted)
            _supersede(ctx, report)
            step("uploading the files")
            uploaded, error = _upload(ctx, report, files)
    return PublishOutcome(target=resolved, report=report, posted=True, files=uploaded,
                          upload_error=error, link=None,
                          posted_at_text=_when(report.compiled_at, ctx.settings.tz))


def _check_where(settings: Settings, via: str) -> None:
    """``PublishError`` unless ``via``'s governance channel is set."""
    if via == SLACK and not settings.governance_channel:
        raise PublishError("RAGTIME_GOVERNANCE_CHANNEL is not set, so there is nowhere to "
                           "post the report; set it to the governance channel's id (e.g. "
                           "C0123ABCD).")
    if via == TEAMS and not settings.teams_governance_conversation:
        raise PublishError("RAGTIME_TEAMS_GOVERNANCE_CONVERSATION is not set, so there is "
                           "nowhere to post the report; set it to the governance channel or "
                           "group chat in Teams.")
    if via not in (SLACK, TEAMS):
        raise PublishError(f"Reports cannot be posted in {via}.")


def post_report(ctx: AppContext, period: Period, *, framework: str | None = None
                ) -> PublishOutcome:
    """The scheduler's compile job: ``publish_report`` as the scheduler."""
    return publish_report(ctx, period, actor="scheduler", framework=framework)


def read_request(ctx: AppContext, text: str) -> CompileRequest:
    """What ``/compile-report TEXT`` asks for, an empty period meaning the default one (raises
    ``PublishError`` saying what is wrong with the text, or that ``framework="NAME"`` is
    needed to say which of several frameworks is meant)."""
    request = parse_compile_text(text, default=default_period(ctx.engine, ctx.today()))
    chosen_framework(ctx, request.framework, how='framework="NAME"', target=request.target)
    return request


def chosen_framework(ctx: AppContext, name: str | None, *,
                     how: str = "--framework NAME", target: Target | None = None) -> int:
    """The id of the framework called ``name``, else of the only one (``PublishError`` with
    the ``bot.framework.choice`` message when there is none, no such one, or several and none
    named; ``how`` says how to name one). With a ``target``, several frameworks are not
    ambiguous when only one has a round for its quarter, or closes with its year."""
    with session_scope(ctx.engine) as session:
        try:
            closing = (closing_in(session, target.fy)
                       if name is None and target is not None and target.fy is not None
                       else [])
            chosen = (closing[0] if len(closing) == 1 else choose_framework(
                session, name, how=how, period=target.period if target else None))
        except FrameworkChoiceError as error:
            message = str(error)
            raise PublishError(f"{message[:1].upper()}{message[1:]}.") from None
        assert chosen.id is not None
        return chosen.id


# ------------------------------------------------------------------------------ steps

def _when(moment: datetime, tz: tzinfo) -> str:
    """``14:05 on 3 October 2024`` in the organisation's time zone (as the summary says it)."""
    local = moment.astimezone(tz) if moment.tzinfo else moment
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def _lock(key: str) -> threading.Lock:
    """One compile of a period (of one framework) at a time in this process (a double-click
    posts once)."""
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _compile(ctx: AppContext, target: Target, folder: Path, *, formats: Iterable[str],
             cover: Mapping[str, Any] | None, step: Progress, framework_id: int
             ) -> CompiledFiles:
    """Write the files in a child process on the same database; the footers' "compiled on"
    is this app's clock, like the summary's."""
    try:
        return compile_in_child(
            ctx.engine.url.render_as_string(hide_password=False),
            target.period if target.period is not None else target.fy or 0,
            folder, formats=formats, cover=cover,
            generated_at=ctx.now().astimezone(ctx.settings.tz), progress=step,
            framework_id=framework_id, start=ctx.settings.compile_start)
    except ReportError as error:
        raise PublishError(f"I cannot compile the {target.label} report: {error}.") from error
    except CompileCrashed as error:
        log.error("compiling the %s report: %s", target.label, error)
        raise PublishError(f"I could not compile the {target.label} report: {error}. Try "
                           "again; if it happens again, tell whoever runs Ragtime.") from error


def _supersede(ctx: AppContext, report: ReportRecord) -> None:
    """Older drafts of the same period lose their buttons: decisions go to the newest."""
    for older in earlier_drafts(ctx.engine, report):
        posted = posted_message(ctx.engine, older.id)
        if posted is None:
            continue
        try:
            ctx.channels.reports.show_status(
                older, posted, StatusNote("superseded", at=report.compiled_at))
        except SendError as error:  # the old buttons refuse anyway (ReportSuperseded)
            log.warning("could not mark report %s superseded: %s", older.id, error)


def _upload(ctx: AppContext, report: ReportRecord, files: CompiledFiles
            ) -> tuple[tuple[str, ...], str | None]:
    """Upload the files in the summary's thread, retrying transient failures; on failure say
    so in the thread (best effort) and return the error."""
    paths = [files.paths[fmt] for fmt in UPLOAD_ORDER if fmt in files.paths] + [files.chart]
    assert report.channel and report.ts
    channel = ctx.channels.reports
    error: SendError | None = None
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        try:
            channel.upload_files(report, paths)
        except TransientSendError as failure:
            error = failure
            log.warning("uploading report %s files failed (attempt %d of %d): %s",
                        report.id, attempt, UPLOAD_ATTEMPTS, failure)
            if attempt < UPLOAD_ATTEMPTS:
                time.sleep(UPLOAD_RETRY_SECONDS * attempt)
            continue
        except SendError as failure:
            error = failure
            break
        else:
            names = tuple(path.name for path in paths)
            mark_files_uploaded(ctx.engine, report.id, names, at=ctx.now())
            return names, None
    assert error is not None
    reason = error.error
    try:
        channel.note_in_thread(report, StatusNote("upload_failed", comment=reason))
    except SendError as notify:
        log.warning("could not report the failed upload of report %s: %s", report.id, notify)
    return (), reason


def post_approved_paper(ctx: AppContext, report: ReportRecord) -> tuple[tuple[str, ...],
                                                                     str | None]:
    """The paper as approved ("Approved by … on …", with the cover it was compiled with),
    written in a child process and uploaded in the summary's thread, so the board secretary
    takes the tabled files from there. Returns the files uploaded and the upload error, if any."""
    if not report.posted:
        return (), None
    with tempfile.TemporaryDirectory(prefix="ragtime-approved-") as folder:
        files = _compile(ctx, report.target, Path(folder), formats=FORMATS, cover=report.cover,
                         step=lambda _step: None, framework_id=report.framework_id)
        return _upload(ctx, report, files)


def _unchanged(ctx: AppContext, draft: Draft, *, actor: str, formats: Iterable[str],
               out_dir: Path | None, step: Progress, cover: Mapping[str, Any] | None
               ) -> PublishOutcome:
    report = draft.last_posted
    assert report is not None
    note_unchanged(ctx.engine, draft, by=actor)
    uploaded: tuple[str, ...] = ()
    error = None
    # Files are written again when asked for a folder, or when the summary went out but its
    # files never arrived (then they are uploaded in its thread).
    if out_dir is not None or not draft.files_uploaded:
        with ExitStack() as stack:
            folder = out_dir or Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="ragtime-report-")))
            files = _compile(ctx, draft.target, folder, formats=formats, cover=cover, step=step,
                             framework_id=draft.view.framework_id)
            if not draft.files_uploaded:
                step("uploading the files")
                uploaded, error = _upload(ctx, report, files)
    link = ctx.channels.reports.permalink(report) if report.posted else None
    return PublishOutcome(target=draft.target, report=report, posted=False, files=uploaded,
                          upload_error=error, link=link,
                          posted_at_text=_when(report.compiled_at, ctx.settings.tz))
