"""A click on "Submit update" / "Change update" / a RAG button: open the update form.

``views.open`` comes first, with a light loading view: the ``trigger_id`` works once and only for
3 seconds. The form replaces it (``views.update``) after the database work. The button value
only names the deliverable and period; the acting user is ``body["user"]["id"]`` and may see the
form only if ``bot.framework.permissions`` says they may submit for that deliverable.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from bot.collection.rounds import find_round
from bot.collection.updates import entry_context, previous_period_update
from bot.context import AppContext
from bot.framework.permissions import deliverables_for, may_submit
from handlers.slack.blocks.ids import (
    BadValue,
    Draft,
    FormMetadata,
    UpdateRequest,
    parse_update_button,
)
from handlers.slack.blocks.modal import UpdateForm, loading_view, notice_view, update_form
from handlers.slack.blocks.text import esc
from handlers.slack.gateway import PermanentSendError
from handlers.slack.rounds_ops import local_today
from storage.db import session_scope
from storage.models import Rag

log = logging.getLogger(__name__)

OUT_OF_DATE = ("This button is out of date or was not made by Ragtime, so it cannot open a "
               "form. Use the buttons on your latest prompt message or in Ragtime's Home tab.")
NOT_YOURS = ("You are not an SRO or delegate of this deliverable, so you cannot update it. "
             "If that is wrong, ask a governance lead to correct the framework.")
GONE = "This deliverable is no longer part of the framework, so it needs no update."


TRIGGER_ERRORS = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})
TOO_SLOW = ("Slack did not let me open the form in time (it allows 3 seconds). Please press the "
            "button again.")


def open_update_form(ack: Any, body: dict[str, Any], action: dict[str, Any], ctx: AppContext
                     ) -> None:
    ack()
    actor = body["user"]["id"]
    try:
        opened = ctx.gateway.open_view(body["trigger_id"], loading_view())
    except PermanentSendError as error:
        if error.error not in TRIGGER_ERRORS:
            raise
        log.warning("views.open for %s failed: %s", actor, error.error)
        ctx.gateway.post_message(actor, TOO_SLOW)
        return
    try:
        request = parse_update_button(action.get("value"))
    except BadValue:
        log.warning("update button with an unreadable value from %s", actor)
        _show(ctx, opened, notice_view(OUT_OF_DATE))
        return
    meta = _metadata(body, request)
    with session_scope(ctx.engine) as session:
        view = _form_or_refusal(session, actor, request, meta, ctx)
    _show(ctx, opened, view)


def _metadata(body: dict[str, Any], request: UpdateRequest) -> FormMetadata:
    container = body.get("container") or {}
    if container.get("type") == "message":
        return FormMetadata(target=request.target, prompt_channel=container.get("channel_id"),
                            prompt_ts=request.prompt_ts or container.get("message_ts"))
    from_home = ((body.get("view") or {}).get("type") == "home")
    return FormMetadata(target=request.target, from_home=from_home)


def _form_or_refusal(
    session: Session, actor: str, request: UpdateRequest, meta: FormMetadata, ctx: AppContext
) -> dict[str, Any]:
    target = request.target
    if not may_submit(session, slack_id=actor, deliverable_id=target.deliverable_id):
        log.warning("%s may not update deliverable %s: form refused", actor,
                    target.deliverable_id)
        return notice_view(esc(NOT_YOURS))
    entry = entry_context(session, target.deliverable_id, target.period)
    if entry is None or not entry.deliverable.active:
        return notice_view(esc(GONE))
    if entry.frozen:
        return notice_view(esc(
            f"Updates for {target.period.label} can no longer be changed: the period is closed "
            "for changes. A governance lead must reopen the round first."))
    previous = previous_period_update(session, target.deliverable_id, target.period)
    round_ = find_round(session, target.period, framework_id=entry.deliverable.framework_id)
    latest = entry.latest
    initial = request.draft or (Draft(
        rag=Rag(latest.rag), narrative=latest.narrative,
        recovery_action=latest.recovery_action, recovery_date=latest.recovery_date,
        change_reason=latest.change_reason) if latest else Draft())
    deliverable = entry.deliverable
    theme = next((item.theme for item in deliverables_for(session, actor)
                  if item.id == target.deliverable_id), "")
    return update_form(UpdateForm(
        meta=meta, number=deliverable.number, title=deliverable.title, area=deliverable.area,
        theme=theme, deadline=round_.deadline if round_ else None, rules=entry.rules,
        today=local_today(ctx), previous_rag=entry.previous_rag,
        previous_narrative=previous.narrative if previous else None,
        current_version=latest.version if latest else None, initial=initial,
    ))


def _show(ctx: AppContext, opened: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the loading view; if the person closed it meanwhile, there is nothing to do."""
    try:
        ctx.gateway.update_view(opened["id"], view, hash=opened.get("hash"))
    except PermanentSendError as error:
        log.info("could not replace the loading view %s: %s", opened.get("id"), error.error)
