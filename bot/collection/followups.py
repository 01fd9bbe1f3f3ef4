"""What follows a stored update: the values the confirmation, the refreshed prompt cards and
the co-owners' notices show (``bot.ports.FollowUps`` delivers them).

``Stored`` is taken inside the submitting transaction with no extra queries (that transaction
does only the write: SQLite serialises writers); ``submitted`` gathers the rest in a read-only
unit of work after it commits.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from bot.calendar.periods import Period
from bot.collection.cards import card, card_facts
from bot.collection.storable import unstorable
from bot.collection.updates import SubmitResult
from bot.collection.values import Rag
from bot.framework.people import person_for_slack_id
from bot.messaging.outbox import note_form_shown, sent_forms
from bot.messaging.routing import TEAMS
from bot.ports.updates import PromptCard, SentRequest, Stored, Submitted, TeamsPrompt
from storage.db import session_scope
from storage.models import Person

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

# The outbox kind of the messages after a form submission: recorded in the submitting
# transaction, sent by the worker (``ctx.channels.messenger``), so none is lost on a crash.
FOLLOW_UP = "follow_up"
# The outbox kind of a re-prompt after a governance lead asked for changes
# (``bot.reports.decisions.request_changes``): like a prompt, it carries the update form.
CHANGES_REQUESTED = "changes_requested"


def stored_update(result: SubmitResult, period: Period, actor: str, *,
                  person_id: int | None = None) -> Stored:
    """The plain values of the update ``result`` just stored (read inside its transaction)."""
    update = result.update
    return Stored(period=period, actor=actor, actor_person_id=person_id,
                  deliverable_id=result.deliverable.id or 0,
                  number=result.deliverable.code or result.deliverable.number,
                  title=result.deliverable.title,
                  rag=Rag(update.rag), narrative=update.narrative, version=update.version,
                  co_owners=result.co_owners_slack_ids, superseded=result.superseded)


def submitted(ctx: AppContext, stored: Stored) -> Submitted:
    """Gather, in a read-only unit of work after the update is committed, everything the
    follow-up messages show: the actor's name and a fresh card for each prompt."""
    with session_scope(ctx.engine) as session:
        person = (session.get(Person, stored.actor_person_id)
                  if stored.actor_person_id is not None
                  else person_for_slack_id(session, stored.actor))
        # On Slack (``via`` None) every message carrying the form is redrawn: the prompts (one
        # per SRO) and a lead's requests for changes, which show what was saved since.
        on_slack = [row for row in sent_forms(session, stored.deliverable_id, stored.period,
                                              via=None, kinds=("prompt", CHANGES_REQUESTED))
                    if row.channel and row.ts]
        sent = [row for row in on_slack if row.kind == "prompt"]
        requests = tuple(
            SentRequest(to=str(row.payload.get("to") or ""), channel=row.channel or "",
                        ts=row.ts or "", request=dict(row.payload))
            for row in on_slack if row.kind == CHANGES_REQUESTED)
        # In Teams every card carrying the form is redrawn: prompts, change requests, and
        # reminders whose button turned them into this deliverable's form.
        in_teams = tuple(
            TeamsPrompt(to=str(row.payload.get("to") or ""), person_id=row.person_id,
                        conversation_id=row.channel or "", activity_id=row.ts or "",
                        kind=row.kind,
                        request=dict(row.payload) if row.kind == CHANGES_REQUESTED else {})
            for row in sent_forms(session, stored.deliverable_id, stored.period, via=TEAMS,
                                  kinds=("prompt", CHANGES_REQUESTED), reminders=True)
            if row.channel and row.ts)
        prompts: tuple[tuple[str, str, str, PromptCard], ...] = ()
        if sent:  # the same facts on every card of the deliverable: read once
            facts = card_facts(session, stored.deliverable_id, stored.period)
            prompts = tuple(
                (str(prompt.payload.get("to") or ""), prompt.channel or "", prompt.ts or "",
                 card(prompt.payload, facts))
                for prompt in sent
            )
    return Submitted(stored=stored, actor_name=person.name if person else "", prompts=prompts,
                     teams_prompts=in_teams, change_requests=requests)


def remember_form_shown(ctx: AppContext, *, conversation_id: str, activity_id: str,
                        person_id: int, deliverable_id: int) -> bool:
    """A Teams reminder's button turned its card (``activity_id`` in ``conversation_id``) into
    the deliverable's form for ``person_id``: remembered, so that card is redrawn like a prompt
    when the deliverable's update changes. False when it was no reminder of theirs, or when
    it could not be stored: best effort, the form is shown all the same."""
    if (not conversation_id or not activity_id or unstorable(conversation_id)
            or unstorable(activity_id)):
        return False
    try:
        with session_scope(ctx.engine, write=True) as session:
            return note_form_shown(session, channel=conversation_id, ts=activity_id,
                                   person_id=person_id, deliverable_id=deliverable_id)
    except DBAPIError as error:  # counted by storage.faults; the form is still answered
        log.warning("could not remember the Teams form shown in place of %s: %s", activity_id,
                    " ".join(str(error.orig).split())[:200])
        return False
