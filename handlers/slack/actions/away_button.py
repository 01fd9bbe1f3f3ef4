"""The Home tab's *Record an absence* button: open the absence form at once (the
``trigger_id`` lives 3 seconds). The form needs nothing from the database."""

from __future__ import annotations

import logging
from typing import Any

from handlers.slack.actions.update_button import TOO_SLOW, TRIGGER_ERRORS
from handlers.slack.blocks.away import away_modal
from handlers.slack.context import SlackContext
from handlers.slack.gateway import PermanentSendError

log = logging.getLogger(__name__)


def open_away_form(body: dict[str, Any], ctx: SlackContext) -> None:
    """After the click is acknowledged (``acked_first``)."""
    try:
        ctx.gateway.open_view(body["trigger_id"], away_modal())
    except PermanentSendError as error:
        if error.error not in TRIGGER_ERRORS:
            raise
        log.warning("views.open for %s failed: %s", body["user"]["id"], error.error)
        ctx.gateway.post_message(body["user"]["id"], TOO_SLOW)
