"""DM messages. Bolt acknowledges events itself; replies in DM threads are handled here."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def acknowledge_message(event: dict[str, Any]) -> None:
    """Placeholder: accept the message (so Slack does not retry); the reply parser comes later."""
    log.debug("message %s in %s", event.get("ts"), event.get("channel_type"))
