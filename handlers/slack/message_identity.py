"""Which message a Slack message event is, and when it was written.

A message is identified by its channel and ``ts`` (Slack's id for it within the channel, the
same in every delivery of it), never by the event id: Slack can deliver one message as several
events with different ids. ``ts`` is also the time it was posted (``"1734685200.000100"``:
seconds since the epoch, a dot, a per-second sequence), which orders the person's replies.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_TS = re.compile(r"(\d{1,12})\.(\d{1,6})")


def message_key(channel: str, ts: str) -> str:
    """The idempotency key of a message: one per message, whatever event carried it."""
    return f"message:{channel}:{ts}"


def written_at(ts: object) -> datetime | None:
    """When the message ``ts`` was written (UTC, to the microsecond), or None when ``ts`` is not
    a Slack timestamp."""
    match = _TS.fullmatch(ts) if isinstance(ts, str) else None
    if match is None:
        return None
    seconds, fraction = int(match[1]), int(match[2].ljust(6, "0"))
    try:
        return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=fraction)
    except (OverflowError, OSError, ValueError):
        return None
