"""A person's chat status as a sign of absence: never a guess, always a question.

When someone's status says they are away (the :palm_tree: emoji, or text such as "annual
leave", "out of office", "on leave", "OOO", "holiday"), Ragtime asks them once whether to record
an absence and who covers (``ask_about_status``), with the status's expiry as the suggested last
day. Do Not Disturb is not a sign of absence and is never read. Nothing is recorded until the
person answers (``away …`` or the form).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.framework.absences import away_on
from bot.framework.people import person_for_slack_id
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import record_message
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext

AWAY_QUESTION = "away_question"  # the outbox kind of the question
AWAY_EMOJI = frozenset({":palm_tree:", ":desert_island:", ":beach_with_umbrella:"})
_AWAY_WORDS = re.compile(
    r"\b(?:annual\s+leave|out\s+of\s+(?:the\s+)?office|on\s+leave|ooo|on\s+holiday|holiday|"
    r"vacation|away\s+until|parental\s+leave|maternity\s+leave|paternity\s+leave|sick\s+leave|"
    r"off\s+sick|on\s+sabbatical)\b", re.IGNORECASE)


def looks_away(emoji: str | None, text: str | None) -> bool:
    """Whether a status says its person is away (not merely busy: DND is not read at all)."""
    return (emoji or "").strip() in AWAY_EMOJI or bool(_AWAY_WORDS.search(text or ""))


def ask_about_status(
    ctx: AppContext, *, slack_id: str, emoji: str | None, text: str | None,
    expiration: int | None,
) -> bool:
    """Ask ``slack_id`` once whether to record an absence, when their status looks away, they
    are a person of the framework and no absence of theirs covers today; True when asked now.
    ``expiration``: the status's expiry (epoch seconds; 0 or None: none)."""
    if not looks_away(emoji, text):
        return False
    today = ctx.today()
    until = (datetime.fromtimestamp(expiration, UTC).astimezone(ctx.settings.tz).date()
             if expiration else None)
    if until is not None and until < today:
        return False
    with session_scope(ctx.engine, write=True) as session:
        person = person_for_slack_id(session, slack_id)
        if person is None or person.id in away_on(session, today):
            return False
        week = today.isocalendar()
        once = until.isoformat() if until else f"{week.year}-W{week.week:02d}"
        first = f"{today.day} {today:%b}"
        example = (f"away {first}–{until.day} {until:%b}" if until and until != today
                   else f"away {first}")
        _, created = record_message(
            session, key=f"{AWAY_QUESTION}:{person.id}:{once}", kind=AWAY_QUESTION,
            person_id=person.id,
            payload={"to": slack_id, "person_name": person.name,
                     "status": " ".join(part for part in ((emoji or "").strip(),
                                                          (text or "").strip()) if part),
                     "until": until.isoformat() if until else None, "example": example})
    if created:
        deliver_outbox(ctx, kinds={AWAY_QUESTION})
    return created
