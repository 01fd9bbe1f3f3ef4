"""``/compile-report [PERIOD | YEAR closure] [framework="NAME"] [key=value …]``: governance
leads only (the ``leads_only`` middleware, ``handlers.slack.guards``). ``framework`` names the
framework when the database holds several; the other values are the cover's.

Acknowledged at once (ephemeral "Compiling…"); the compile (``bot.reports.publish.
publish_report``) then runs on the listener's thread after the acknowledgement, so Slack's
3-second limit is never at risk. Progress and the result replace the ephemeral note through the
command's ``response_url``; an unexpected failure reaches the app's error handler, which tells
the lead with a reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.context import AppContext
from bot.reports.errors import PublishError
from bot.reports.publish import PublishOutcome, publish_report, read_request
from handlers.slack.blocks import kit as mrkdwn

PROGRESS_NOTES_MAX = 3  # a response_url takes 5 messages; keep 1 for the result
PROGRESS_INTERVAL_SECONDS = 1.5


def compile_report_command(ack: Any, command: dict[str, Any], respond: Any,
                           ctx: AppContext) -> None:
    user = command.get("user_id") or ""
    channel = ctx.settings.governance_channel
    if not channel:
        ack(response_type="ephemeral",
            text=":warning: RAGTIME_GOVERNANCE_CHANNEL is not set, so there is nowhere to post "
                 "the report. Ask whoever runs Ragtime to set it.")
        return
    try:
        request = read_request(ctx, command.get("text") or "")
    except PublishError as error:
        ack(response_type="ephemeral", text=f":warning: {mrkdwn.escape(str(error))}")
        return
    label = request.target.label
    ack(response_type="ephemeral",
        text=f":hourglass_flowing_sand: Compiling the {label} report… I will post it in "
             f"<#{channel}> when it is ready.")
    try:
        outcome = publish_report(ctx, request.target, actor=user,
                                 cover_overrides=request.cover_overrides,
                                 framework=request.framework,
                                 progress=_progress_notes(respond, label))
    except PublishError as error:
        respond(response_type="ephemeral", replace_original=True,
                text=f":warning: {mrkdwn.escape(str(error))}")
        return
    respond(response_type="ephemeral", replace_original=True, text=outcome_text(outcome))


def outcome_text(outcome: PublishOutcome) -> str:
    """What the lead is told (mrkdwn) once the report is posted, or found unchanged."""
    where = (f"<{outcome.link}|the draft>" if outcome.link
             else f"the draft in <#{outcome.report.channel}>")
    label = outcome.target.label
    if outcome.posted:
        text = (f":white_check_mark: The {label} report is posted in "
                f"<#{outcome.report.channel}> with its {len(outcome.files)} files.")
    else:
        text = (f":information_source: The {label} report is unchanged since the draft "
                f"posted at {outcome.posted_at_text}; nothing new was posted. Here is {where}.")
        if outcome.files:
            text += f" Its {len(outcome.files)} missing files are now uploaded."
    if outcome.upload_error:
        text += (f"\n:warning: The report files could not be uploaded: {outcome.upload_error}. "
                 f"Run `/compile-report {label}` again to retry.")
    return text


def _progress_notes(respond: Any, label: str) -> Callable[[str], None]:
    """A few "still working" notes for long compiles, spaced out."""
    state = {"sent": 0, "last": time.monotonic()}

    def note(step: str) -> None:
        now = time.monotonic()
        if state["sent"] >= PROGRESS_NOTES_MAX or now - state["last"] < PROGRESS_INTERVAL_SECONDS:
            return
        state["sent"] += 1
        state["last"] = now
        respond(response_type="ephemeral", replace_original=True,
                text=f":hourglass_flowing_sand: Compiling the {label} report: {step}…")

    return note
