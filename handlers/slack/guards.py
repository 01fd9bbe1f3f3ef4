"""Middleware that guards who may use Ragtime in Slack: the installed workspace only, and
governance leads only where it says so.

``same_workspace(workspace)`` is a global middleware: a payload from another workspace or org
(``handlers.slack.workspace``) is refused with a 403, or, for an event, acknowledged and
ignored (Slack would retry an error); it is logged with the ids it named, never user text.

``leads_only(refusal)`` keeps a listener for governance leads (``RAGTIME_GOVERNANCE_LEADS``,
``bot.framework.permissions.is_governance_lead``): register it as
``app.action(APPROVE, middleware=[leads_only(REFUSAL)])(approve)``. The acting user always comes
from the signed payload (a command's ``user_id``, an interaction's ``user.id``), never from a
button value or ``private_metadata``.

Anyone else is acknowledged and told ``refusal`` the way the surface can show it: a slash
command in its ephemeral acknowledgement, a button click in an ephemeral reply (through the
``response_url``), a modal submission as an error on the input block ``field``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.framework.permissions import is_governance_lead
from handlers.slack.answer import answer_privately
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.context import SlackContext
from handlers.slack.workspace import Workspace

log = logging.getLogger(__name__)

Middleware = Callable[..., Any]

REPORT_REFUSAL = ("Sorry, only governance leads can compile, approve or reopen the board report. "
                  "If you should be one, ask the governance team to add you to "
                  "`RAGTIME_GOVERNANCE_LEADS`.")


FOREIGN = 403


def same_workspace(workspace: Workspace) -> Middleware:
    """A global middleware that lets through only payloads from ``workspace``."""

    def guard(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        strangers = workspace.strangers(body)
        if not strangers:
            return next()
        kind = body.get("type") or ("command" if "command" in body else "unknown")
        event = body.get("type") == "event_callback"
        log.warning("refused a %s from another workspace (%s): %s", str(kind)[:40],
                    ", ".join(repr(name[:24]) for name in sorted(strangers)[:3]),
                    "ignored" if event else f"answered {FOREIGN}")
        if event:
            return BoltResponse(status=200, body="")
        return BoltResponse(status=FOREIGN, body="not this workspace")

    return guard


def acting_user(body: dict[str, Any]) -> str | None:
    """The user who sent a command or interaction, from the signed payload."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return str(user) if user else None


def leads_only(refusal: str, *, field: str | None = None) -> Middleware:
    """A listener middleware that lets governance leads through and refuses everyone else
    (``field``: the modal input block a refused submission's error is shown on)."""

    def guard(body: dict[str, Any], ack: Any, respond: Any, next: Callable[[], Any],
              ctx: SlackContext) -> Any:
        if is_governance_lead(ctx, acting_user(body)):
            return next()
        if body.get("type") == "view_submission":
            return ack(response_action="errors", errors={field or "": refusal})
        if body.get("command"):
            return ack(response_type="ephemeral", text=refusal)
        response = ack()
        answer_privately(ctx, body, respond, mrkdwn.escape(refusal))
        return response

    return guard
