"""Closing a framework: its final round asks every SRO for their last update and for what
became of each deliverable (its outcome, ``bot.collection.outcomes``).

``close_framework`` (``ragtime framework close NAME --year 2024/25``) marks the framework
closing, opens its final round (Q4 of the final year, ``open_round_and_prompt``: the last
updates) and records one outcome request per SRO per deliverable on their channel: a Slack DM
beside their last update, with a button that opens the outcome form; one email listing them
all, with their personal link, for SROs on email. Running it again records nothing twice and
sends only what is still pending.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.flows import OpenSummary, open_round_and_prompt
from bot.collection.notices import Problem, problem_lines
from bot.collection.rounds import RoundError, deliverables_with_owners, find_round
from bot.framework.choice import choose_framework
from bot.framework.lifecycle import LifecycleError, mark_closing
from bot.framework.people import reach_of
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import DeliveryReport, record_message
from bot.messaging.routing import EMAIL
from storage.db import session_scope
from storage.models import Round
from storage.repo import audit

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

OUTCOME_REQUEST = "outcome_request"  # the outbox kind


@dataclass(frozen=True)
class ClosureStarted:
    framework: str
    final_year: str
    newly_closing: bool
    final_round: OpenSummary
    requests_recorded: int
    delivery: DeliveryReport

    def lines(self) -> list[str]:
        state = "is now closing" if self.newly_closing else "was already closing"
        lines = [f"'{self.framework}' {state}: {self.final_year} is its final year.",
                 *self.final_round.lines(),
                 f"Outcome requests: {self.requests_recorded} recorded now, "
                 f"{self.delivery.sent} sent, {self.delivery.failed} failed, "
                 f"{self.delivery.skipped} left to retry."]
        failed = tuple(Problem(f.key, f.error) for f in self.delivery.failures)
        return lines + (problem_lines(failed, False) if failed else [])

    def __str__(self) -> str:
        return "\n".join(self.lines())


def close_framework(ctx: AppContext, name: str | None, fy: int, *, by: str) -> ClosureStarted:
    """Start the closure round of framework ``name`` (the only one when None) for final
    year ``fy``; see the module docstring. Raises ``RoundError`` when it cannot start."""
    final = Period(fy, 4)
    with session_scope(ctx.engine, write=True) as session:
        framework = choose_framework(session, name)
        try:
            newly = mark_closing(session, framework, fy, by=by)
        except LifecycleError as error:
            raise RoundError(str(error)) from None
        framework_name = framework.name
    opened = open_round_and_prompt(ctx, final, opened_by=by, framework=framework_name)
    with session_scope(ctx.engine, write=True) as session:
        framework = choose_framework(session, framework_name)
        round_ = find_round(session, final, framework_id=framework.id)
        assert round_ is not None
        recorded = record_outcome_requests(session, round_, framework_name, final,
                                           email_enabled=ctx.settings.email_enabled)
        if recorded:
            audit(session=session, actor=by, action="framework.outcomes_requested",
                  subject=f"framework:{framework.id}", count=recorded)
        period_id = round_.period_id
    report = deliver_outbox(ctx, kinds={OUTCOME_REQUEST}, period_id=period_id)
    return ClosureStarted(framework=framework_name, final_year=final.fy_label,
                          newly_closing=newly, final_round=opened, requests_recorded=recorded,
                          delivery=report)


def record_outcome_requests(session: Session, round_: Round, framework: str, final: Period, *,
                            email_enabled: bool) -> int:
    """One request per SRO per active deliverable on Slack, one email per SRO on email (keyed
    by the deliverables it lists); SROs no channel reaches were already reported when the
    final round opened."""
    recorded = 0
    by_email: dict[int, tuple[str, str, list[dict[str, Any]]]] = {}
    for deliverable, theme, sros in deliverables_with_owners(session, round_.framework_id):
        for person in sros:
            reach = reach_of(channel=person.channel, slack_id=person.slack_id,
                             email=person.email, email_enabled=email_enabled)
            if reach.via is None:
                continue
            about = {"deliverable_id": deliverable.id,
                     "number": deliverable.code or deliverable.number,
                     "title": deliverable.title, "theme": theme.name}
            if reach.via == EMAIL:
                by_email.setdefault(person.id or 0, (person.name, reach.to or "", []))[2].append(
                    about)
                continue
            _, created = record_message(
                session, key=f"{OUTCOME_REQUEST}:{round_.id}:{deliverable.id}:{person.id}",
                kind=OUTCOME_REQUEST, period_id=round_.period_id,
                deliverable_id=deliverable.id, person_id=person.id,
                payload={"to": person.slack_id, "person_name": person.name,
                         "framework": framework, "final_year": final.fy_label,
                         "period": final.label, **about})
            recorded += created
    for person_id, (name, address, items) in by_email.items():
        digest = hashlib.sha256(",".join(str(i["deliverable_id"]) for i in items).encode()
                                ).hexdigest()[:12]
        _, created = record_message(
            session, key=f"{OUTCOME_REQUEST}:{round_.id}:email:{person_id}:{digest}",
            kind=OUTCOME_REQUEST, period_id=round_.period_id, person_id=person_id, via=EMAIL,
            payload={"to": address, "person_name": name, "framework": framework,
                     "final_year": final.fy_label, "period": final.label,
                     "round_id": round_.id, "deliverables": items})
        recorded += created
    return recorded
