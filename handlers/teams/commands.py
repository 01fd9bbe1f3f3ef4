"""What a governance lead types to the bot in Teams (the app manifest's commands), answered in
the same conversation by the worker:

- ``compile 2024/25 Q2`` (or ``compile 2024/25 closure``, cover values as in Slack's
  ``/compile-report``): governance leads only; the draft is posted for decision in the Teams
  governance conversation, where it was asked for, even where Slack is set up too
  (``bot.reports.publish.publish_report``, one flow whoever calls it);
- ``status 2024/25 Q2``: the round's status, as ``ragtime round status`` prints it (leads).

A lead is recognised by AAD object id or by the email Teams gave for them
(``RAGTIME_GOVERNANCE_LEADS``). Anything else gets a short help card.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.rounds import RoundError
from bot.collection.status import round_status_text
from bot.context import AppContext
from bot.framework.teams import is_teams_lead
from bot.messaging.routing import TEAMS
from bot.reports.errors import PublishError
from bot.reports.publish import publish_report, read_request
from bot.reports.targets import default_period
from handlers.teams.activities import ConversationRef
from handlers.teams.cards.build import card_activity
from handlers.teams.cards.update import notice_card
from handlers.teams.gateway import TeamsGateway, Where

log = logging.getLogger(__name__)

HELP = ("I send your quarterly update prompts here: answer on each card. Governance leads can "
        "type compile 2024/25 Q2 (post the draft board report for decision) or status "
        "2024/25 Q2.")
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


def _current(ctx: AppContext) -> Period:
    return default_period(ctx.engine, ctx.today())
