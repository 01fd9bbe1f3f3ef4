"""Who counts as a governance lead here: the signed payload's user id, or their email.

``RAGTIME_GOVERNANCE_LEADS`` may list Slack user ids and emails; the email is looked up
(``users.info``) only when the id is not listed and some lead is given by email.
"""

from __future__ import annotations

import logging

from bot.context import AppContext
from bot.permissions import may_govern
from bot.slack_gateway import SlackSendError

log = logging.getLogger(__name__)

REFUSAL = ("Sorry, only governance leads can compile, approve or reopen the board report. If "
           "you should be one, ask the governance team to add you to `RAGTIME_GOVERNANCE_LEADS`.")


def is_lead(ctx: AppContext, user_id: str | None) -> bool:
    leads = ctx.settings.governance_leads
    if not user_id:
        return False
    if may_govern(leads, slack_id=user_id):
        return True
    if not any("@" in lead for lead in leads):
        return False
    try:
        profile = ctx.gateway.user_info(user_id).get("profile") or {}
    except SlackSendError as error:
        log.warning("could not look up %s's email to check governance lead: %s", user_id, error)
        return False
    return may_govern(leads, slack_id=user_id, email=profile.get("email"))
