"""Helpers for the scheduler tests: a small framework, what reached the fake Slack, a stepped
scheduler."""

from __future__ import annotations

from datetime import datetime

import time_machine
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine
from sqlmodel import select

from handlers.slack.outbox import delivery_tag
from storage.db import session_scope
from storage.models import OutboxMessage
from tests.fakeslack import FakeSlack

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


def at(scheduler: SteppedScheduler, moment: datetime) -> None:
    """Move the clock to ``moment`` and let the scheduler run what is due then."""
    with time_machine.travel(moment, tick=False):
        scheduler.run_due()


def posted(fake: FakeSlack, engine: Engine) -> list[tuple[str, str]]:
    """(channel, what) of every message that reached Slack, in order. ``what`` is the outbox
    key for an outbox row — the production sender tags each message's first block with its row
    (``delivery_tag``) — and the message's text for anything else (a notice to governance)."""
    with session_scope(engine) as session:
        keys = [row.key for row in session.exec(select(OutboxMessage)).all()]
    by_tag = {delivery_tag(key, part): key for key in keys for part in range(3)}
    found = []
    for call in fake.calls("chat.postMessage"):
        if not call.effective:
            continue
        tags = [block.get("block_id") for block in call.json_param("blocks") or []]
        key = next((by_tag[tag] for tag in tags if tag in by_tag), None)
        found.append((call.response["channel"], key or call.params.get("text", "")))
    return found


def posted_keys(fake: FakeSlack, engine: Engine, kind: str) -> list[str]:
    """The outbox keys of ``kind`` (``prompt``, ``reminder``, ``escalation``) that reached Slack."""
    return [key for _, key in posted(fake, engine) if key.startswith(f"{kind}:")]
