"""Helpers for the scheduler tests: a small framework, a plain sender, a stepped scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import time_machine
from apscheduler.schedulers.base import BaseScheduler

from bot.context import AppContext
from bot.messaging.outbox import PermanentSendError, SentRef
from handlers.slack.gateway import PermanentSendError as SlackPermanentError
from storage.models import OutboxMessage

GOVERNANCE = "C0GOVERN"
SROS = {"smurphy": "U0SHARON", "jbloggs": "U0JOE", "apatel": "U0ANITA"}

FRAMEWORK_YAML = """
name: Step Up To Great
organisation: Example NHS Trust
people:
  - {id: smurphy, name: Sharon Murphy, title: Director of Finance, slack_id: U0SHARON}
  - {id: jbloggs, name: Joe Bloggs, title: Chief Operating Officer, slack_id: U0JOE}
  - {id: apatel, name: Anita Patel, title: Director of Nursing, slack_id: U0ANITA}
themes:
  - name: Great Outcomes
    ambition: Timely access for everyone.
    deliverables:
      - {area: Access, title: Review and implement the Trust Access Policy, sro: smurphy}
      - {area: Access, title: Reduce waits for community paediatrics, sro: [jbloggs, apatel]}
  - name: Great Care
    ambition: Safe care.
    deliverables:
      - {area: Safety, title: Embed the patient safety incident framework, sro: apatel}
"""


class SteppedScheduler(BaseScheduler):
    """APScheduler's real job processing (misfire, coalescing, job store) without its timer
    thread: ``run_due()`` processes whatever is due at the (travelled) current time."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass

    def run_due(self) -> None:
        self._process_jobs()


def plain_sender(ctx: AppContext) -> Callable[[OutboxMessage], SentRef]:
    """Stands in for the Slack layer's Block Kit rendering: one plain-text post per row."""

    def send(message: OutboxMessage) -> SentRef:
        to = message.payload.get("to") or ctx.settings.governance_channel
        try:
            posted = ctx.gateway.post_message(to, f"{message.kind} {message.key}")
        except SlackPermanentError as error:
            raise PermanentSendError(str(error)) from error
        return SentRef(posted.channel, posted.ts)

    return send


def at(scheduler: SteppedScheduler, moment: datetime) -> None:
    """Move the clock to ``moment`` and let the scheduler run what is due then."""
    with time_machine.travel(moment, tick=False):
        scheduler.run_due()
