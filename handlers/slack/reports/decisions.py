"""The buttons under the draft summary — Approve, Request changes, Reopen — and the request
for changes modal. Each is one call into ``bot.reports.decisions``; who may click is the
``leads_only`` middleware's job (``handlers.slack.guards``), and the acting user is always the
signed payload's ``user.id``; a button's value only names the report."""

from __future__ import annotations

from typing import Any

from bot.context import AppContext
from bot.reports.decisions import approve as approve_draft
from bot.reports.decisions import ask_for_changes, changes_form
from bot.reports.decisions import reopen as reopen_draft
from bot.reports.errors import InvalidRequest, PublishError
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.guards import acting_user
from handlers.slack.reports.blocks import (
    CHOICE_ACTION,
    CHOICE_BLOCK,
    COMMENT_ACTION,
    COMMENT_BLOCK,
    changes_modal,
    modal_report_id,
)

NOT_OURS = "This button does not name a Ragtime report; it may be from an old message."


def approve(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
            ctx: AppContext) -> None:
    ack()
    report_id = _report_id(action, respond)
    if report_id is None:
        return
    try:
        done = approve_draft(ctx, report_id, by=str(acting_user(body)))
    except PublishError as error:
        _warn(respond, error)
        return
    _redraw_failed(respond, done.redraw_error)


def reopen(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
           ctx: AppContext) -> None:
    ack()
    report_id = _report_id(action, respond)
    if report_id is None:
        return
    try:
        done = reopen_draft(ctx, report_id, by=str(acting_user(body)))
    except PublishError as error:
        _warn(respond, error)
        return
    _redraw_failed(respond, done.redraw_error)


def open_changes_modal(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
                       ctx: AppContext) -> None:
    ack()
    report_id = _report_id(action, respond)
    if report_id is None:
        return
    try:
        form = changes_form(ctx.engine, report_id)
    except PublishError as error:
        _warn(respond, error)
        return
    ctx.gateway.open_view(body["trigger_id"], changes_modal(form.report, form.choices))


def submit_changes(ack: Any, body: dict[str, Any], view: dict[str, Any],
                   ctx: AppContext) -> None:
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
    try:
        ask_for_changes(ctx, report_id, by=str(acting_user(body)), comment=comment,
                        deliverable_ids=ids, on_recorded=ack)
    except InvalidRequest as error:
        block = CHOICE_BLOCK if error.field == "deliverables" else COMMENT_BLOCK
        ack(response_action="errors", errors={block: str(error)})
    except PublishError as error:
        ack(response_action="errors", errors={COMMENT_BLOCK: str(error)})


# ------------------------------------------------------------------------------ helpers

def _report_id(action: dict[str, Any], respond: Any) -> int | None:
    value = str(action.get("value") or "")
    if value.isdigit():
        return int(value)
    _warn(respond, NOT_OURS)
    return None


def _redraw_failed(respond: Any, error: str | None) -> None:
    if error:
        _warn(respond, f"Done, but the summary message could not be updated ({error}).")


def _warn(respond: Any, message: object) -> None:
    if respond is not None:
        respond(response_type="ephemeral", replace_original=False,
                text=f":warning: {mrkdwn.escape(str(message))}")
