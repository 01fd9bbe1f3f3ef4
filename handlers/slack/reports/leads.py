"""What a non-lead is told; the governance-lead check itself is ``handlers.slack.identity``."""

from __future__ import annotations

REFUSAL = ("Sorry, only governance leads can compile, approve or reopen the board report. If "
           "you should be one, ask the governance team to add you to `RAGTIME_GOVERNANCE_LEADS`.")

