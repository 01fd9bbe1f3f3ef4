"""What a governance lead types to the bot in Teams (the app manifest's commands), answered in
the same conversation by the worker:

- ``compile 2024/25 Q2`` (or ``compile 2024/25 closure``, cover values as in Slack's
  ``/compile-report``): governance leads only; the draft is posted for decision in the Teams
  governance conversation, where it was asked for, even where Slack is set up too
  (``bot.reports.publish.publish_report``, one flow whoever calls it);
- ``status 2024/25 Q2``: the round's status, as ``ragtime round status`` prints it (leads);
- ``away 4–15 Aug, cover Sarah Willis`` (the grammar of ``bot.collection.away_text``, as in a
  Slack DM; ``away cancel``; a lead may write ``away for Sharon Murphy …``) records the writer's
  absence, and a lead's ``extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025`` a later deadline
  (``bot.collection.away``: the same flows as Slack's, the writer being the person their Teams
  account was matched to).

A lead is recognised by AAD object id or by the email Teams gave for them
(``RAGTIME_GOVERNANCE_LEADS``). Anything else gets a short help card.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.away import (
    away_by_message,
    extend_by_message,
    is_away_message,
    is_extend_message,
)
from bot.collection.rounds import RoundError
from bot.collection.status import round_status_text
from bot.context import AppContext
from bot.framework.teams import is_teams_lead, teams_person
from bot.messaging.routing import TEAMS
from bot.reports.errors import PublishError
from bot.reports.publish import publish_report, read_request
from bot.reports.targets import default_period
from handlers.teams.activities import ConversationRef
from handlers.teams.cards.build import card_activity
from handlers.teams.cards.update import notice_card
from handlers.teams.gateway import TeamsGateway, Where

log = logging.getLogger(__name__)

HELP = ("I send your quarterly update prompts here: answer on each card. Going away? Type "
        "away 4–15 Aug, cover Sarah Willis (or away cancel). Governance leads can type "
        "compile 2024/25 Q2 (post the draft board report for decision) or status 2024/25 Q2.")
LEADS_ONLY = "Sorry, only governance leads can compile the board report or see the round's status."
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


def on_message(ctx: AppContext, gateway: TeamsGateway, ref: ConversationRef,
               activity: dict[str, Any]) -> None:
    text = _MENTION.sub(" ", str(activity.get("text") or ""))
    word, _, rest = " ".join(text.split()).partition(" ")
    command = word.lower()
    where = Where(ref.service_url, ref.conversation_id)

    def say(message: str, title: str = "Ragtime") -> None:
        gateway.post(where, card_activity(notice_card(message, title=title), message[:120]))

    if is_away_message(text) or is_extend_message(text):
        _away(ctx, ref, activity, text, say)
        return
    if command not in ("compile", "status"):
        say(HELP)
        return
    if not is_teams_lead(ctx.engine, ctx.settings.governance_leads, ref.aad_object_id):
        say(LEADS_ONLY)
        return
    if command == "status":
        try:
            period = Period.parse(rest) if rest else None
            say(round_status_text(ctx, period or _current(ctx)), title="Round status")
        except (PeriodError, RoundError, PublishError) as error:
            say(str(error))
        return
    try:
        request = read_request(ctx, rest)
        say(f"Compiling the {request.target.label} report…")
        outcome = publish_report(ctx, request.target, actor=ref.name or ref.aad_object_id,
                                 cover_overrides=request.cover_overrides,
                                 framework=request.framework, via=TEAMS)
    except PublishError as error:
        say(str(error))
        return
    label = outcome.target.label
    say(f"The {label} report is posted for decision." if outcome.posted
        else f"The {label} report is unchanged since the draft already posted.")


def _away(ctx: AppContext, ref: ConversationRef, activity: dict[str, Any], text: str,
          say: Callable[[str, str], None]) -> None:
    """An absence (or a lead's extension) written to the bot, answered in the conversation;
    a redelivered message is answered once (keyed by the activity's id)."""
    key = f"teams-away:{ref.conversation_id}:{activity.get('id') or text}"
    lead = is_teams_lead(ctx.engine, ctx.settings.governance_leads, ref.aad_object_id)
    found = teams_person(ctx.engine, ref.aad_object_id)
    actor = ref.name or ref.aad_object_id
    if is_extend_message(text):
        reply = extend_by_message(ctx, user=actor, text=text, key=key, lead=lead)
        title = "Deadline extended" if reply and reply.ok else "Deadline not extended"
    else:
        reply = away_by_message(ctx, user=actor, text=text, key=key, source="teams", lead=lead,
                                person_id=found[0] if found else None)
        title = "Away" if reply and reply.ok else "Absence not recorded"
    if reply is not None:  # None: a retry of a message already answered
        # Ragtime's own words, whose `away cancel` is Slack's code formatting.
        say(reply.text.replace("`", ""), title)


def _current(ctx: AppContext) -> Period:
    return default_period(ctx.engine, ctx.today())
