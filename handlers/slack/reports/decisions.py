"""The buttons under the draft summary — Approve, Request changes, Reopen — and the request
for changes modal. The acting user is always the signed payload's ``user.id`` and is checked
as a governance lead on every click; a button's value only names the report."""

from __future__ import annotations

import logging
from typing import Any

from bot.context import AppContext
from bot.reports.publishing import (
    InvalidRequest,
    PublishError,
    ReportRecord,
    approve_report,
    get_report,
    posted_message,
    reopen_report,
    report_choices,
    request_changes,
)
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.gateway import SlackSendError
from handlers.slack.identity import is_governance_lead as is_lead
from handlers.slack.reports.blocks import (
    CHOICE_ACTION,
    CHOICE_BLOCK,
    COMMENT_ACTION,
    COMMENT_BLOCK,
    StatusNote,
    changes_modal,
    changes_thread_note,
    modal_report_id,
    status_blocks,
    when,
    who,
    with_status,
)
from handlers.slack.reports.leads import REFUSAL
from handlers.slack.reports.reprompt import deliver_reprompts

log = logging.getLogger(__name__)

NOT_OURS = "This button does not name a Ragtime report; it may be from an old message."


def approve(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
            ctx: AppContext) -> None:
    ack()
    asked = _lead_and_report(body, action, respond, ctx)
    if asked is None:
        return
    user, report_id = asked
    try:
        report = approve_report(ctx.engine, report_id, by=user, at=ctx.now())
    except PublishError as error:
        _warn(respond, error)
        return
    note = StatusNote("approved", report.decided_by, report.decided_at)
    frozen = "" if report.target.closure else f" {report.target.label} is now frozen."
    _redraw(ctx, report, note, respond)
    _thread(ctx, report, f":white_check_mark: Approved by {who(user)} at "
                         f"{when(report.decided_at, ctx.settings.tz)}.{frozen}")


def reopen(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
           ctx: AppContext) -> None:
    ack()
    asked = _lead_and_report(body, action, respond, ctx)
    if asked is None:
        return
    user, report_id = asked
    now = ctx.now()
    try:
        report = reopen_report(ctx.engine, report_id, by=user, at=now)
    except PublishError as error:
        _warn(respond, error)
        return
    _redraw(ctx, report, StatusNote("reopened", user, now), respond)
    _thread(ctx, report, f":unlock: Reopened by {who(user)} at {when(now, ctx.settings.tz)}: "
                         f"updates for {report.target.label} are accepted again.")


def open_changes_modal(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
                       ctx: AppContext) -> None:
    ack()
    asked = _lead_and_report(body, action, respond, ctx)
    if asked is None:
        return
    _user, report_id = asked
    try:
        report = get_report(ctx.engine, report_id)
    except PublishError as error:
        _warn(respond, error)
        return
    if report.status == "approved":
        _warn(respond, f"The {report.target.label} report is already approved; reopen it "
                       "before asking for changes.")
        return
    ctx.gateway.open_view(body["trigger_id"],
                          changes_modal(report, report_choices(ctx.engine, report_id)))


def submit_changes(ack: Any, body: dict[str, Any], view: dict[str, Any],
                   ctx: AppContext) -> None:
    user = (body.get("user") or {}).get("id")
    if not is_lead(ctx, user):
        ack(response_action="errors", errors={COMMENT_BLOCK: REFUSAL})
        return
    report_id = modal_report_id(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(CHOICE_BLOCK) or {}).get(CHOICE_ACTION) or {}).get(
        "selected_options") or []
    comment = ((values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}).get("value") or ""
    ids = [int(option["value"]) for option in chosen
           if str(option.get("value", "")).isdigit()]
    if report_id is None:
        ack(response_action="errors", errors={COMMENT_BLOCK: NOT_OURS})
        return
    now = ctx.now()
    try:
        done = request_changes(ctx.engine, report_id, by=str(user), at=now, comment=comment,
                               deliverable_ids=ids)
    except InvalidRequest as error:
        block = CHOICE_BLOCK if error.field == "deliverables" else COMMENT_BLOCK
        ack(response_action="errors", errors={block: str(error)})
        return
    except PublishError as error:
        ack(response_action="errors", errors={COMMENT_BLOCK: str(error)})
        return
    ack()
    delivery = deliver_reprompts(ctx, period_id=done.period_id)
    note = StatusNote("changes_requested", str(user), now, done.comment, done.deliverables)
    _redraw(ctx, done.report, note, None)
    text = changes_thread_note(done, ctx.settings.tz)
    if delivery.failed or delivery.skipped:
        errors = "; ".join(mrkdwn.escape(f.error) for f in delivery.failures[:3])
        text += (f"\n:warning: {delivery.failed + delivery.skipped} message(s) could not be "
                 f"sent yet" + (f": {errors}" if errors else "; they will be retried") + ".")
    _thread(ctx, done.report, text)


# ------------------------------------------------------------------------------ helpers

def _lead_and_report(body: dict[str, Any], action: dict[str, Any], respond: Any,
                     ctx: AppContext) -> tuple[str, int] | None:
    """The clicking lead (from the signed payload) and the report the button names, or None
    after telling the person why not."""
    user = _lead(body, respond, ctx)
    report_id = _report_id(action, respond) if user is not None else None
    return None if user is None or report_id is None else (user, report_id)


def _lead(body: dict[str, Any], respond: Any, ctx: AppContext) -> str | None:
    user = (body.get("user") or {}).get("id")
    if is_lead(ctx, user):
        return str(user)
    _warn(respond, REFUSAL, icon="")
    return None


def _report_id(action: dict[str, Any], respond: Any) -> int | None:
    value = str(action.get("value") or "")
    if value.isdigit():
        return int(value)
    _warn(respond, NOT_OURS)
    return None


def _warn(respond: Any, message: object, *, icon: str = ":warning: ") -> None:
    if respond is not None:
        respond(response_type="ephemeral", replace_original=False,
                text=f"{icon}{mrkdwn.escape(str(message))}")


def _redraw(ctx: AppContext, report: ReportRecord, note: StatusNote, respond: Any) -> None:
    """Show the decision on the summary message (``chat.update``)."""
    message = posted_message(ctx.engine, report.id)
    if not message or not report.channel or not report.ts:
        return
    blocks = with_status(message.get("blocks") or [],
                         status_blocks(report, note, ctx.settings.tz))
    try:
        ctx.gateway.update_message(report.channel, report.ts, message.get("text") or "", blocks)
    except SlackSendError as error:
        log.warning("could not update the summary of report %s: %s", report.id, error)
        _warn(respond, f"Done, but the summary message could not be updated ({error.error}).")


def _thread(ctx: AppContext, report: ReportRecord, text: str) -> None:
    """A line in the summary's thread, so the channel keeps a record of each decision."""
    if not report.channel or not report.ts:
        return
    try:
        ctx.gateway.post_message(report.channel, text, thread_ts=report.ts)
    except SlackSendError as error:
        log.warning("could not note a decision on report %s: %s", report.id, error)
