"""The App Home's "Open round for 2024/25 Q3" button (governance leads only): the same
``bot.collection.flows.open_round_and_prompt`` as ``ragtime round open`` and the scheduler."""

from __future__ import annotations

import logging
from typing import Any

from bot.collection.flows import open_round_and_prompt
from bot.collection.rounds import RoundError
from bot.framework.choice import FrameworkChoiceError
from bot.framework.permissions import is_governance_lead
from handlers.slack.blocks.ids import BadValue, parse_open_round_target
from handlers.slack.blocks.replies import refused_reply
from handlers.slack.blocks.status import summary_message
from handlers.slack.blocks.text import Message
from handlers.slack.context import SlackContext
from handlers.slack.home.opened import refresh_home

log = logging.getLogger(__name__)

LEADS_ONLY = "Only governance leads can open a round (RAGTIME_GOVERNANCE_LEADS)."


def open_round_clicked(ack: Any, body: dict[str, Any], action: dict[str, Any], ctx: SlackContext
                       ) -> None:
    ack()
    user = body["user"]["id"]
    if not is_governance_lead(ctx, user):
        log.warning("%s, not a governance lead, pressed open round", user)
        _tell(ctx, user, refused_reply(LEADS_ONLY))
        return
    try:
        period, framework = parse_open_round_target(action.get("value"))
        summary = open_round_and_prompt(ctx, period, opened_by=user, framework=framework)
    except BadValue:
        _tell(ctx, user, refused_reply("That button is out of date; reopen the Home tab."))
        return
    except (RoundError, FrameworkChoiceError) as error:
        _tell(ctx, user, refused_reply(str(error)))
        return
    _tell(ctx, user, summary_message(summary.lines()))
    refresh_home(ctx, user)


def _tell(ctx: SlackContext, user: str, message: Message) -> None:
    ctx.gateway.post_message(user, message.text, message.blocks)
