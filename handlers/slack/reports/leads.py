"""What a non-lead is told; the check is the ``leads_only`` middleware (``handlers.slack.guards``)
on ``bot.framework.permissions.is_governance_lead``."""

from __future__ import annotations

REFUSAL = ("Sorry, only governance leads can compile, approve or reopen the board report. If "
           "you should be one, ask the governance team to add you to `RAGTIME_GOVERNANCE_LEADS`.")
