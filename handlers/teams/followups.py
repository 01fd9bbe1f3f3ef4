"""The ``FollowUps`` port in Teams: after an update is stored (from a Teams card, Slack or the
web form), every Teams card that carries the deliverable's form for the period is updated in
place (PUT): its prompt cards, the cards of a governance lead's request for changes, and the
reminders whose button turned them into its form. The author's shows the confirmation; each
co-owner's shows the form again with the version just saved (a change request keeps the lead's
request above it), or why no update is needed now; and each co-owner is told once in their
conversation. Best effort: a failure is logged, the update is stored (the author's confirmation
was the card action's own answer).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.followups import CHANGES_REQUESTED
from bot.collection.submissions import after_form, update_form_for
from bot.collection.values import Target
from bot.context import AppContext
from bot.framework.teams import reach_in_teams
from bot.ports.messages import RecordedMessage, SendError, SentRef
from bot.ports.updates import Stored, Submitted, TeamsPrompt
from bot.words import rag_word
from handlers.teams.cards.build import card_activity
from handlers.teams.cards.reprompt import changes_card
from handlers.teams.cards.update import confirmation_card, notice_card, update_card
from handlers.teams.gateway import TeamsGateway, Where

log = logging.getLogger(__name__)


class TeamsFollowUps:
    def __init__(self, ctx: AppContext, gateway: TeamsGateway) -> None:
        self.ctx = ctx
        self.gateway = gateway

    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        told: set[str] = set()  # conversations already told of the co-owner's update
        for prompt in done.teams_prompts:
            try:
                place = self._refresh(done, prompt)
                if place is not None and place.conversation_id not in told:
                    told.add(place.conversation_id)
                    self._tell(done, place)
            except SendError as error:
                log.warning("Teams card update failed (%s): %s", prompt.activity_id, error)

    def _refresh(self, done: Submitted, prompt: TeamsPrompt) -> Where | None:
        """Redraw the card; the place to tell a co-owner in (None: the author, or gone)."""
        found = reach_in_teams(self.ctx.engine, prompt.to)
        if found is None:
            return None
        place = Where(found.service_url, prompt.conversation_id)
        stored = done.stored
        target = Target(stored.deliverable_id, stored.period)
        summary = f"{stored.period.label} update received"
        if prompt.person_id is not None and prompt.person_id == stored.actor_person_id:
            card = confirmation_card(target, number=stored.number, title=stored.title,
                                     rag=stored.rag, narrative=stored.narrative,
                                     version=stored.version, by=done.actor_name, at=None)
            self.gateway.update(place, prompt.activity_id, card_activity(card, summary))
            return None
        self.gateway.update(place, prompt.activity_id,
                            card_activity(self._form_card(done, prompt, target), summary))
        return place

    def _form_card(self, done: Submitted, prompt: TeamsPrompt, target: Target) -> Any:
        """The card's form as it is now for its person (the version just saved pre-filled),
        under the lead's request when it was one; or why no update is needed now."""
        offer = update_form_for(self.ctx, None, target, person_id=prompt.person_id)
        if prompt.kind == CHANGES_REQUESTED:
            request = {**prompt.request, "rag": done.stored.rag.value}  # the rating now saved
            return changes_card(target, offer.facts, request, reason=offer.reason or None)
        if offer.facts is not None:
            return update_card(target, offer.facts)
        return notice_card(offer.reason or "No update is needed now.")

    def _tell(self, done: Submitted, place: Where) -> None:
        stored = done.stored
        by = done.actor_name or "A co-owner"
        notice = notice_card(
            f"{by} submitted {rag_word(stored.rag)} for {stored.number} {stored.title} "
            f"({stored.period.label}, version {stored.version}):\n\n{stored.narrative}",
            title="Update from a co-owner")
        self.gateway.post(place, card_activity(notice, f"{stored.period.label} update "
                                                       "received"))


class FollowUpSender:
    """The outbox's ``follow_up`` row where there is no Slack to send it (a Teams deployment):
    the follow-ups of every channel (``ctx.channels.follow_ups``) after a stored form."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def send(self, message: RecordedMessage) -> SentRef:
        after_form(self.ctx, Stored.from_payload(message.payload))
        return SentRef(channel="", ts="")
