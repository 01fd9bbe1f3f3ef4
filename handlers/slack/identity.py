"""Who a Slack user is to Ragtime — the one place the governance-lead check lives.

The user id always comes from the signed payload (``body["user"]["id"]`` or the command's
``user_id``), never from button values or ``private_metadata``.
"""

from __future__ import annotations

import logging

from bot.context import AppContext
from bot.framework.permissions import may_govern
from handlers.slack.gateway import SlackSendError

log = logging.getLogger(__name__)


def is_governance_lead(ctx: AppContext, user_id: str | None) -> bool:
    """``user_id`` is in ``RAGTIME_GOVERNANCE_LEADS``, by id or by the email Slack holds for
    them (``users.info``, asked only when leads are configured by email)."""
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
        log.warning("could not read %s's email to check governance lead: %s", user_id, error)
        return False
    return may_govern(leads, slack_id=user_id, email=profile.get("email"))
