"""Answering the person who acted, and only them, whatever the payload carries.

A click in a message carries a ``response_url``; a click in a modal or the Home tab, or a
payload someone made up, does not, and Bolt's ``respond`` then raises ``ValueError``. So every
private answer goes through ``answer_privately``: the ``response_url`` when there is one, a DM
to the acting user (from the signed payload) when there is not, and a one-line warning when
neither can be used.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.ports.messages import SendError
from handlers.slack.context import SlackContext

log = logging.getLogger(__name__)


def can_respond(respond: Any) -> bool:
    """Whether Bolt's ``respond`` has a ``response_url`` to answer through."""
    return respond is not None and bool(getattr(respond, "response_url", None))


def answer_privately(ctx: SlackContext | None, body: dict[str, Any], respond: Any,
                     text: str, *, blocks: Any = None) -> None:
    if can_respond(respond):
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        return
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    if ctx is None or not isinstance(user, str) or not user:
        log.warning("could not answer a %s: no response_url and no user to write to",
                    str(body.get("type") or "request")[:40])
        return
    try:
        ctx.gateway.post_message(user, text, blocks=blocks)
    except SendError as error:
        log.warning("could not answer %s by DM (no response_url): %s", user, error)
