"""A closure report is approved only when every deliverable has an outcome.

When the framework is closing with the report's year (``ragtime framework close``), approving
the closure report needs an outcome for each active deliverable; otherwise the lead is told
which are missing (``OutcomesMissing``). Approving marks the framework closed; reopening the
report makes it closing again, so outcomes can be changed.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.collection.outcomes import missing_outcomes
from bot.framework.lifecycle import closure_of
from bot.reports.errors import PublishError
from storage.models import FrameworkState
from storage.repo import audit

LISTED = 10  # the missing deliverables named in the message; the rest are counted


class OutcomesMissing(PublishError):
    """Deliverables without an outcome: the closure report cannot be approved yet."""


def closing_with(session: Session, framework_id: int, fy: int) -> bool:
    """Whether the framework closes with financial year ``fy``."""
    closure = closure_of(session, framework_id)
    return closure is not None and closure.fy == fy


def check_outcomes(session: Session, framework_id: int, label: str) -> None:
    """``OutcomesMissing`` naming the deliverables still without an outcome."""
    missing = missing_outcomes(session, framework_id)
    if not missing:
        return
    named = "; ".join(f"{code} {title}" for code, title in missing[:LISTED])
    more = f"; and {len(missing) - LISTED} more" if len(missing) > LISTED else ""
    count = f"{len(missing)} deliverable{'s have' if len(missing) != 1 else ' has'}"
    raise OutcomesMissing(
        f"The {label} report cannot be approved yet: {count} no outcome: {named}{more}. "
        "Their SROs can record them from the outcome request in Slack or their link; a "
        "governance lead with `ragtime framework outcome`. Then compile the report again and "
        "approve the new draft.")


def reopen_closure(session: Session, framework_id: int, fy: int, *, by: str) -> None:
    """The closure report's approval withdrawn: a closed framework is closing again."""
    closure = closure_of(session, framework_id)
    if closure is None or closure.fy != fy or closure.state != FrameworkState.closed:
        return
    closure.state, closure.closed_at, closure.closed_by = FrameworkState.closing, None, None
    session.add(closure)
    audit(session=session, actor=by, action="framework.reopened",
          subject=f"framework:{framework_id}")
