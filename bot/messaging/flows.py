"""Sending what the outbox holds through the channel (``ctx.channels.messenger``).

``deliver_outbox`` is the one way a flow or the scheduler's recurring job sends recorded
messages: crash-safe and at most once per row (``bot.messaging.outbox``); a failure is logged
here and returned in the report for the caller to tell the governance leads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.messaging.outbox import DeliveryReport, deliver_pending

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


def deliver_outbox(
    ctx: AppContext, *, kinds: Iterable[str] | None = None, period_id: int | None = None
) -> DeliveryReport:
    """Send every pending message (of ``kinds``, of one period, when given); what cannot be
    sent now stays pending for the next run, or is marked failed and reported."""
    report = deliver_pending(ctx.engine, ctx.channels.messenger.send,
                             kinds=set(kinds) if kinds is not None else None,
                             period_id=period_id, clock=ctx.now)
    for failure in report.failures:
        log.error("could not send %s %s: %s", failure.kind, failure.key, failure.error)
    return report
