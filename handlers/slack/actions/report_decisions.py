"""The buttons under the draft summary: Approve, Request changes (opens the modal of
``handlers.slack.views.changes_form``) and Reopen. Each is one call into
``bot.reports.decisions``; who may click is the
``leads_only`` middleware's job (``handlers.slack.guards``), and the acting user is always the
signed payload's ``user.id``; a button's value only names the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.reports.decisions import Decided, changes_form
from bot.reports.decisions import approve as approve_draft
from bot.reports.decisions import reopen as reopen_draft
from bot.reports.errors import PublishError
from handlers.slack.answer import answer_privately
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import record_id
from handlers.slack.blocks.report import NOT_OURS, changes_modal
from handlers.slack.context import SlackContext
from handlers.slack.guards import acting_user


def approve(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
            ctx: SlackContext) -> None:
    ack()
    _decide(approve_draft, body, action, _Answer(ctx, body, respond), ctx)


def reopen(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
           ctx: SlackContext) -> None:
    ack()
    _decide(reopen_draft, body, action, _Answer(ctx, body, respond), ctx)


def open_changes_modal(body: dict[str, Any], action: dict[str, Any], respond: Any,
                       ctx: SlackContext) -> None:
    """After the click is acknowledged (``acked_first``)."""
    answer = _Answer(ctx, body, respond)
    report_id = _report_id(action, answer)
    if report_id is None:
        return
    try:
        form = changes_form(ctx.engine, report_id)
    except PublishError as error:
        _warn(answer, error)
        return
    ctx.gateway.open_view(body["trigger_id"], changes_modal(form.report, form.choices))


# ------------------------------------------------------------------------------ helpers

class _Answer:
    """Tells the clicking lead alone (``handlers.slack.answer``: through ``response_url``, or
    by DM when the payload carries none)."""

    def __init__(self, ctx: SlackContext, body: dict[str, Any], respond: Any) -> None:
        self.ctx, self.body, self.respond = ctx, body, respond

    def __call__(self, text: str) -> None:
        answer_privately(self.ctx, self.body, self.respond, text)


def _decide(decision: Callable[..., Decided], body: dict[str, Any], action: dict[str, Any],
            respond: _Answer, ctx: SlackContext) -> None:
    """One decision on the report the button names, by the clicking lead; problems are told to
    the lead alone."""
    report_id = _report_id(action, respond)
    if report_id is None:
        return
    try:
        done = decision(ctx, report_id, by=str(acting_user(body)))
    except PublishError as error:
        _warn(respond, error)
        return
    _redraw_failed(respond, done.redraw_error)


def _report_id(action: dict[str, Any], respond: _Answer) -> int | None:
    report_id = record_id(action.get("value"))
    if report_id is None:
        _warn(respond, NOT_OURS)
    return report_id


def _redraw_failed(respond: _Answer, error: str | None) -> None:
    if error:
        _warn(respond, f"Done, but the summary message could not be updated ({error}).")


def _warn(answer: _Answer, message: object) -> None:
    answer(f":warning: {mrkdwn.escape(str(message))}")
