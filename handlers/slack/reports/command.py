"""``/compile-report [PERIOD | YEAR closure] [key=value …]``: governance leads only.

Acknowledged at once (ephemeral "Compiling…"); the compile then runs on the listener's thread
after the acknowledgement, so Slack's 3-second limit is never at risk. Progress and the result
replace the ephemeral note through the command's ``response_url``; an unexpected failure reaches
the app's error handler, which tells the lead with a reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.context import AppContext
from bot.reports.publishing import PublishError, default_period, parse_compile_text
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.identity import is_governance_lead as is_lead
from handlers.slack.reports.leads import REFUSAL
from handlers.slack.reports.publish import publish_report

PROGRESS_NOTES_MAX = 3  # a response_url takes 5 messages; keep 1 for the result
PROGRESS_INTERVAL_SECONDS = 1.5


def compile_report_command(ack: Any, command: dict[str, Any], respond: Any,
                           ctx: AppContext) -> None:
    user = command.get("user_id") or ""
    if not is_lead(ctx, user):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    channel = ctx.settings.governance_channel
    if not channel:
        ack(response_type="ephemeral",
            text=":warning: RAGTIME_GOVERNANCE_CHANNEL is not set, so there is nowhere to post "
                 "the report. Ask whoever runs Ragtime to set it.")
        return
    today = ctx.now().astimezone(ctx.settings.tz).date()
    try:
        request = parse_compile_text(command.get("text") or "",
                                     default=default_period(ctx.engine, today))
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
                                 progress=_progress_notes(respond, label))
    except PublishError as error:
        respond(response_type="ephemeral", replace_original=True,
                text=f":warning: {mrkdwn.escape(str(error))}")
        return
    respond(response_type="ephemeral", replace_original=True, text=outcome.message())


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
