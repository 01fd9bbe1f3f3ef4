"""The update form submitted (``view_submission``).

The acting user is ``body["user"]["id"]``; ``private_metadata`` only names the deliverable and
period (and the prompt it came from) and is never trusted for who may submit: ``submit_update``
checks that. Governance rules come back as errors beside the fields (``response_action:
errors``); a refusal (not an owner, period frozen) replaces the form with the reason. The view id
is the idempotency key, so a double submit stores one version and sends one confirmation.

The write transaction only stores the update; the form is acknowledged as soon as it commits, and
the confirmation, the refreshed prompt cards and the notices to co-owners are gathered and sent
after the ack (validation errors still come back in the ack itself).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.collection.updates import RuleViolation, UpdateError, submit_update
from bot.context import AppContext
from handlers.slack.blocks.ids import FIELD_BLOCKS, BadValue, parse_form_metadata
from handlers.slack.blocks.modal import notice_view, read_form
from handlers.slack.blocks.text import esc
from handlers.slack.gateway import SlackSendError
from handlers.slack.home.opened import refresh_home
from handlers.slack.outbound import Stored, confirm_to_actor, refresh_and_tell_others, submitted
from handlers.slack.rounds_ops import local_today
from storage.db import session_scope
from storage.models import Source

log = logging.getLogger(__name__)

OUT_OF_DATE = ("This form is out of date and cannot be saved. Open it again from your prompt "
               "message or Ragtime's Home tab.")


def submit_update_form(ack: Any, body: dict[str, Any], view: dict[str, Any], ctx: AppContext
                       ) -> None:
    actor = body["user"]["id"]
    try:
        meta = parse_form_metadata(view.get("private_metadata"))
    except BadValue:
        log.warning("update form with unreadable private_metadata from %s", actor)
        ack(response_action="update", view=notice_view(esc(OUT_OF_DATE)))
        return
    entered = read_form((view.get("state") or {}).get("values") or {})
    target = meta.target
    try:
        with session_scope(ctx.engine, write=True) as session:
            result = submit_update(
                session, actor_slack_id=actor, deliverable_id=target.deliverable_id,
                period=target.period, rag=entered.rag or "", narrative=entered.narrative,
                recovery_action=entered.recovery_action, recovery_date=entered.recovery_date,
                change_reason=entered.change_reason, source=Source.modal,
                idempotency_key=f"view:{view['id']}", today=local_today(ctx), now=ctx.now(),
            )
            stored = Stored.of(result, target.period, actor) if result.created else None
    except RuleViolation as violation:
        ack(response_action="errors", errors=_errors(violation.errors))
        return
    except UpdateError as refusal:  # not an owner, frozen, retired deliverable, ...
        ack(response_action="update", view=notice_view(esc(str(refusal))))
        return
    ack()  # stored and committed; what follows is read and sent after the ack
    if stored is None:  # the same view submitted twice: stored and confirmed the first time
        return
    try:
        done = submitted(ctx, stored)
    except SQLAlchemyError as error:  # stored and acknowledged: only the follow-ups are lost
        log.error("%s's update of deliverable %s is stored but its follow-up messages could not "
                  "be gathered: %s", actor, stored.deliverable_id, error)
        return
    try:  # in the thread of the actor's own prompt (found in storage, not from the metadata)
        confirm_to_actor(ctx, done, where=None)
    except SlackSendError as error:  # stored; the refreshed prompt still shows it
        log.warning("could not confirm %s's update to them: %s", actor, error)
    refresh_and_tell_others(ctx, done)
    if meta.from_home:
        refresh_home(ctx, actor)


def _errors(errors: dict[str, str]) -> dict[str, str]:
    """Rule messages keyed by the form's block ids (an unknown field goes beside the rating)."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        block = name if name in FIELD_BLOCKS else "rag"
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown
