"""One person's outcomes at closure on one page: the web form of an SRO not on Slack.

The page opens from the person's signed link for the closing framework's final round
(``bot.collection.links``), so the person comes from the link alone. ``outcome_sheet`` lists
the deliverables they are an SRO or delegate of in that framework, with what the Slack form
shows; ``submit_outcome_sheet`` stores each one given an outcome through ``set_outcome``, the
one flow every entry point uses (same checks, same versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.collection.links import LinkAccess
from bot.collection.outcomes import (
    Outcome,
    OutcomeEntry,
    OutcomeError,
    OutcomeFacts,
    OutcomeInvalid,
    Who,
    outcome_facts,
    set_outcome,
)
from bot.collection.owned import deliverables_for
from bot.framework.lifecycle import closure_of
from storage.db import session_scope
from storage.models import FrameworkState

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class OutcomeSheet:
    access: LinkAccess
    closing: bool  # False: the framework is not closing (or already closed): nothing to ask
    items: tuple[OutcomeFacts, ...]


@dataclass(frozen=True)
class OutcomeSheetResult:
    sheet: OutcomeSheet
    saved: tuple[tuple[OutcomeFacts, Outcome], ...] = ()
    repeated: int = 0
    errors: dict[int, dict[str, str]] = field(default_factory=dict)
    refusals: dict[int, str] = field(default_factory=dict)
    nothing: bool = False  # no outcome was chosen anywhere

    @property
    def ok(self) -> bool:
        return not (self.errors or self.refusals or self.nothing)


def outcome_sheet(ctx: AppContext, access: LinkAccess) -> OutcomeSheet:
    with session_scope(ctx.engine) as session:
        closure = closure_of(session, access.framework_id)
        closing = closure is not None and closure.state == FrameworkState.closing
        owned = deliverables_for(session, None, person_id=access.person_id) if closing else []
        items = [facts for item in owned
                 if (facts := outcome_facts(session, item.id)) is not None
                 and facts.framework == access.framework_name]
    return OutcomeSheet(access=access, closing=closing, items=tuple(items))


def submit_outcome_sheet(ctx: AppContext, access: LinkAccess, entries: dict[int, OutcomeEntry],
                         *, form_id: str) -> OutcomeSheetResult:
    """Store each of the person's deliverables given an outcome; the others are left as they
    are. ``form_id`` (the page's signed nonce) makes a replayed POST store nothing twice."""
    sheet = outcome_sheet(ctx, access)
    mine = {facts.deliverable_id: facts for facts in sheet.items}
    chosen = {i: e for i, e in entries.items() if i in mine and (e.outcome or "").strip()}
    if not chosen:
        return OutcomeSheetResult(sheet=sheet, nothing=True)
    saved, errors, refusals, repeated = [], {}, {}, 0
    for deliverable_id, entry in chosen.items():
        try:
            done = set_outcome(ctx, deliverable_id=deliverable_id, entry=entry,
                               who=Who(person_id=access.person_id), source="web",
                               key=f"web:outcome:{form_id}:{deliverable_id}")
        except OutcomeInvalid as error:
            errors[deliverable_id] = error.errors
            continue
        except OutcomeError as error:
            refusals[deliverable_id] = str(error)
            continue
        repeated += done.repeated
        saved.append((mine[deliverable_id], done.outcome))
    return OutcomeSheetResult(sheet=outcome_sheet(ctx, access) if saved else sheet,
                              saved=tuple(saved), repeated=repeated, errors=errors,
                              refusals=refusals)
