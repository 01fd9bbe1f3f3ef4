"""The ``Messenger`` port in Teams: outbox rows whose ``via`` is ``teams``, rendered as Adaptive
Cards and posted in the person's 1:1 conversation (captured when they added Ragtime).

``prompt`` is the update form itself (``handlers.teams.cards.update``); ``reminder`` lists the
outstanding deliverables; ``changes_requested`` is the form headed by a governance lead's
request (``handlers.teams.cards.reprompt``); ``risk_prompt`` is a BAF risk's return form and
``risk_reminder`` lists the risks still to return (``handlers.teams.cards.risk``). What the
outbox remembers is the conversation and the activity id, so a card can be updated in place
later (``handlers.teams.followups``).

A row is sent once; Teams offers a bot no way to look back at what it posted without Graph, so
a worker killed between Teams' 200 and the outbox's mark sends that one message again.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import AdaptiveCard, CardElement

from bot.calendar.periods import Period
from bot.collection.followups import CHANGES_REQUESTED
from bot.collection.risk_flows import risk_form_for
from bot.collection.risk_round import RISK_PROMPT, RISK_REMINDER
from bot.collection.submissions import update_form_for
from bot.collection.values import Target
from bot.context import AppContext
from bot.framework.people import NOT_IN_TEAMS
from bot.framework.teams import latest_service_url, reach_in_teams
from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef
from bot.words import day
from handlers.teams.cards.build import card_activity, heading, note, plain
from handlers.teams.cards.reprompt import changes_card
from handlers.teams.cards.risk import risk_card, risk_reminder_card
from handlers.teams.cards.update import notice_card, reminder_card, update_card
from handlers.teams.gateway import TeamsGateway, Where


class TeamsMessenger:
    def __init__(self, ctx: AppContext, gateway: TeamsGateway) -> None:
        self.ctx = ctx
        self.gateway = gateway

    def send(self, message: RecordedMessage) -> SentRef:
        where = self.where(message)
        activity = self.render(message)
        return SentRef(where.conversation_id, self.gateway.post(where, activity))

    def where(self, message: RecordedMessage) -> Where:
        to = str(message.payload.get("to") or "")
        found = reach_in_teams(self.ctx.engine, to) if to else None
        if found is None:
            raise PermanentSendError(f"{message.kind} {message.key}: {NOT_IN_TEAMS}",
                                     error="teams_not_installed")
        return Where(found.service_url, found.conversation_id)

    def render(self, message: RecordedMessage) -> dict[str, Any]:
        try:
            if message.kind == "prompt":
                return self._prompt(message)
            if message.kind == CHANGES_REQUESTED:
                return self._changes(message)
            if message.kind == "notice":  # to one person (a cover told whom they cover)
                return card_activity(notice_card_of(message.payload),
                                     str(message.payload.get("title") or "From Ragtime"))
            if message.kind == RISK_PROMPT:
                return self._risk(message)
            if message.kind == RISK_REMINDER:
                return card_activity(risk_reminder_card(message.payload),
                                     f"Reminder: BAF risk returns due for "
                                     f"{message.payload['period']}")
            if message.kind == "reminder":
                return card_activity(reminder_card(message.payload),
                                     f"Reminder: updates due for {message.payload['period']}")
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentSendError(f"cannot render {message.kind} {message.key} for Teams: "
                                     f"{type(error).__name__}: {error}") from error
        raise PermanentSendError(f"{message.kind} messages are not sent in Teams",
                                 error="no_teams_card")

    def _prompt(self, message: RecordedMessage) -> dict[str, Any]:
        payload = message.payload
        target = Target(int(payload["deliverable_id"]), Period.parse(str(payload["period"])))
        offer = update_form_for(self.ctx, None, target, person_id=message.person_id)
        summary = f"Your {target.period.label} update is due"
        if offer.facts is None:
            return card_activity(notice_card(offer.reason or "This deliverable no longer "
                                             "needs an update."), summary)
        return card_activity(update_card(target, offer.facts), summary)


    def _risk(self, message: RecordedMessage) -> dict[str, Any]:
        """One BAF risk's prompt, which is also its return form."""
        payload = message.payload
        risk_id, period = int(payload["risk_id"]), Period.parse(str(payload["period"]))
        offer = risk_form_for(self.ctx, risk_id=risk_id, period=period,
                              person_id=message.person_id)
        summary = f"{period.label}: please return BAF risk {payload.get('number', '')}"
        if offer.entry is None:
            return card_activity(notice_card(offer.refused or "This risk needs no return now.",
                                             title="BAF risk return"), summary)
        return card_activity(risk_card(risk_id, period, offer.entry,
                                       deadline=payload.get("deadline")), summary)

    def _changes(self, message: RecordedMessage) -> dict[str, Any]:
        """A lead sent the update back: their request above the update form."""
        payload = message.payload
        target = Target(int(payload["deliverable_id"]), Period.parse(str(payload["period"])))
        offer = update_form_for(self.ctx, None, target, person_id=message.person_id)
        card = changes_card(target, offer.facts, payload, reason=offer.reason)
        return card_activity(card, f"Changes requested on your {target.period.label} update "
                                   f"for {payload.get('title', '')}"[:200])


class GovernanceMessenger:
    """Rows for the governance leads (``notice``: whom a round could not reach;
    ``escalation``: who is still outstanding at the deadline) where there is no Slack: posted
    in ``RAGTIME_TEAMS_GOVERNANCE_CONVERSATION``."""

    def __init__(self, ctx: AppContext, gateway: TeamsGateway) -> None:
        self.ctx = ctx
        self.gateway = gateway

    def send(self, message: RecordedMessage) -> SentRef:
        conversation = self.ctx.settings.teams_governance_conversation
        service_url = latest_service_url(self.ctx.engine)
        if not conversation or not service_url:
            raise PermanentSendError(
                f"{message.kind} {message.key}: set RAGTIME_TEAMS_GOVERNANCE_CONVERSATION and "
                "add Ragtime in Teams to tell the governance leads there",
                error="no_teams_governance_conversation")
        try:
            card = (notice_card_of(message.payload) if message.kind == "notice"
                    else escalation_card(message.payload))
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentSendError(f"cannot render {message.kind} {message.key} for Teams: "
                                     f"{type(error).__name__}: {error}") from error
        where = Where(service_url, conversation)
        summary = str(message.payload.get("title") or f"{message.kind} from Ragtime")
        return SentRef(conversation, self.gateway.post(where, card_activity(card, summary)))


def notice_card_of(payload: dict[str, Any]) -> AdaptiveCard:
    body: list[CardElement] = [heading(str(payload["title"])), note(str(payload["intro"]))]
    body += [plain(str(line)) for line in payload.get("lines") or ()]
    if payload.get("footer"):
        body.append(note(str(payload["footer"])))
    return AdaptiveCard(body=body)


def escalation_card(payload: dict[str, Any]) -> AdaptiveCard:
    body: list[CardElement] = [
        heading(f"{payload['period']}: still outstanding at the deadline"),
        note(f"{payload['answered']} of {payload['total']} answered; "
             f"{payload['outstanding_count']} outstanding "
             f"(deadline {day(payload.get('deadline'))})."),
    ]
    for theme in payload.get("themes") or ():
        body.append(plain(str(theme["theme"]), weight="Bolder"))
        for item in theme.get("outstanding") or ():
            sros = ", ".join(str(s.get("name", "")) for s in item.get("sros") or ())
            body.append(plain(f"{item.get('number', '')} {item.get('title', '')} ({sros})"))
    return AdaptiveCard(body=body)
