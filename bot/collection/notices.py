"""Telling the governance leads whom a round could not reach.

Nobody is skipped silently: whatever could not be delivered (an SRO with no account, a prompt or
reminder the channel refused) is returned to the caller as ``Problem`` lines *and* recorded as a
``notice`` in the outbox, sent to the governance channel (or, without one, to each lead). A notice
is recorded once per distinct list of problems, so opening or reminding again does not repeat it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.calendar.periods import Period
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import FailedSend, failed_messages, record_message, was_sent
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """Someone the round could not reach, and why (plain text)."""

    who: str
    what: str


def undelivered(
    ctx: AppContext, period_id: int, failures: Sequence[FailedSend]
) -> tuple[Problem, ...]:
    """The failed sends as problems: whom each was for and what the channel said."""
    if not failures:
        return ()
    ids = {failure.message_id for failure in failures}
    with session_scope(ctx.engine) as session:
        rows = {row.id: row for row in failed_messages(session, period_id)
                if row.id in ids}
    problems = []
    for failure in failures:
        row = rows.get(failure.message_id)
        payload = row.payload if row else {}
        who = str(payload.get("person_name") or payload.get("to") or failure.key)
        what = f"{failure.kind} not delivered"
        if payload.get("title"):
            what += f" (“{payload['title']}”)"
        problems.append(Problem(who, f"{what}: {failure.error}"))
    return tuple(problems)


def tell_governance(
    ctx: AppContext, period: Period, period_id: int, occasion: str,
    problems: Sequence[Problem], *, title: str, intro: str,
) -> bool:
    """Record and send a notice about ``problems`` (once per distinct list) to the governance
    channel or leads; returns whether it reached them."""
    if not problems:
        return False
    lines = [f"{problem.who}: {problem.what}" for problem in problems]
    digest = hashlib.sha256(json.dumps(lines).encode()).hexdigest()[:16]
    with session_scope(ctx.engine, write=True) as session:
        notice, _created = record_message(
            session, key=f"notice:{period.slug}:{occasion}:{digest}", kind="notice",
            period_id=period_id,
            payload={"title": title, "intro": intro, "lines": lines,
                     "footer": "Ragtime tells you once about each list of problems."})
        notice_id = notice.id
    report = deliver_outbox(ctx, kinds={"notice"}, period_id=period_id)
    for failure in report.failures:
        log.error("could not tell the governance leads (%s): %s", failure.key, failure.error)
    with session_scope(ctx.engine) as session:
        return was_sent(session, notice_id)


def problem_lines(problems: Sequence[Problem], told: bool) -> list[str]:
    """The problems as summary lines for whoever asked (a terminal, a Slack reply)."""
    if not problems:
        return []
    lines = [f"Not reached ({len(problems)}):"]
    lines += [f"  - {problem.who}: {problem.what}" for problem in problems]
    lines.append("The governance leads have been told." if told else
                 "Tell the governance leads: the notice to them could not be posted.")
    return lines
