"""One person's answers for a round on one page: the web form of an SRO not on Slack.

``sheet_for`` lists the deliverables the person (from a signed link, ``bot.collection.links``)
is an SRO or delegate of in the round's framework, each with what the Slack modal shows
(``bot.collection.submissions.form_offer``: the current version, last quarter's answer, who
saved it). ``submit_sheet`` stores each filled-in deliverable with ``submit_from_form``, the
same rules and storage as the modal, which records the same follow-ups in the same transaction
(the worker sends them: confirmation on the person's channel, refreshed prompts, co-owners
told). Deliverables left
blank, or unchanged from their current version, are not stored again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import select

from bot.collection.dates import parse_date
from bot.collection.links import LinkAccess
from bot.collection.owned import OwnedDeliverable, deliverables_for
from bot.collection.submissions import (
    FormFacts,
    FormValues,
    form_offer,
    submit_from_form,
)
from bot.collection.values import Target
from storage.db import session_scope
from storage.models import Deliverable

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class SheetItem:
    """One deliverable on the page: ``facts`` to show, or ``refused`` (``frozen``, ``gone``)."""

    deliverable_id: int
    owned: OwnedDeliverable
    facts: FormFacts | None
    refused: str | None = None


@dataclass(frozen=True)
class Sheet:
    access: LinkAccess
    items: tuple[SheetItem, ...]


@dataclass(frozen=True)
class Saved:
    deliverable_id: int
    number: str
    title: str
    rag: str
    version: int


@dataclass(frozen=True)
class SheetResult:
    """What a submitted page did: ``saved`` (stored now), ``errors`` (deliverable id → field →
    message), ``refusals`` (deliverable id → message), ``repeated`` (already stored: sent back
    unchanged, or the same POST replayed), ``nothing`` (no deliverable filled in); ``sheet`` is
    the page as it is now, to show again with the errors."""

    sheet: Sheet
    saved: tuple[Saved, ...] = ()
    errors: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    refusals: Mapping[int, str] = field(default_factory=dict)
    repeated: int = 0
    nothing: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refusals and not self.nothing


def sheet_for(ctx: AppContext, access: LinkAccess) -> Sheet:
    """The person's deliverables in the round, in report order, with what each form shows."""
    with session_scope(ctx.engine) as session:
        in_framework = set(session.exec(select(Deliverable.id).where(
            Deliverable.framework_id == access.framework_id)).all())
        items = []
        for owned in deliverables_for(session, None, access.period,
                                      person_id=access.person_id, on=ctx.today()):
            if owned.id not in in_framework:
                continue
            offer = form_offer(session, ctx, None, Target(owned.id, access.period),
                               person_id=access.person_id)
            items.append(SheetItem(owned.id, owned, offer.facts, offer.refused))
    return Sheet(access=access, items=tuple(items))


def submit_sheet(
    ctx: AppContext, access: LinkAccess, entered: Mapping[int, FormValues], *, form_id: str
) -> SheetResult:
    """Store each deliverable filled in on the page (only the person's own: others in
    ``entered`` are ignored). ``form_id`` (the page's nonce) with the deliverable and what was
    entered is the idempotency key, so the same POST replayed stores nothing twice."""
    sheet = sheet_for(ctx, access)
    saved: list[Saved] = []
    errors: dict[int, Mapping[str, str]] = {}
    refusals: dict[int, str] = {}
    repeated = 0
    attempted = 0
    for item in sheet.items:
        values = entered.get(item.deliverable_id)
        if values is None or item.facts is None or _blank(values):
            continue
        attempted += 1
        if _unchanged(values, item.facts):
            repeated += 1
            continue
        result = submit_from_form(
            ctx, actor=None, person_id=access.person_id,
            target=Target(item.deliverable_id, access.period), entered=values,
            form_id=f"{form_id}:{item.deliverable_id}:{_digest(values)}")
        if result.errors is not None:
            errors[item.deliverable_id] = result.errors
        elif result.refusal is not None:
            refusals[item.deliverable_id] = result.refusal
        elif result.stored is None:
            repeated += 1
        else:
            stored = result.stored
            saved.append(Saved(item.deliverable_id, stored.number, stored.title,
                               stored.rag.value, stored.version))
    return SheetResult(sheet=sheet, saved=tuple(saved), errors=errors, refusals=refusals,
                       repeated=repeated, nothing=attempted == 0)


def _blank(values: FormValues) -> bool:
    return not any((values.rag or "").strip() or (text or "").strip() for text in (
        values.narrative, values.recovery_action, values.recovery_date, values.change_reason))


def _unchanged(values: FormValues, facts: FormFacts) -> bool:
    """The page was sent back as it was shown: the current version, not a new answer."""
    if facts.current_version is None:
        return False
    shown = facts.initial
    return (
        (values.rag or "").strip().lower() == (shown.rag.value if shown.rag else "")
        and values.narrative.strip() == (shown.narrative or "").strip()
        and (values.recovery_action or "").strip() == (shown.recovery_action or "").strip()
        and _date(values.recovery_date) == shown.recovery_date
        and (values.change_reason or "").strip() == (shown.change_reason or "").strip()
    )


def _date(text: str | None) -> date | None:
    return parse_date(text) if text and text.strip() else None


def _digest(values: FormValues) -> str:
    text = json.dumps([values.rag, values.narrative, values.recovery_action,
                       values.recovery_date, values.change_reason])
    return hashlib.sha256(text.encode()).hexdigest()[:16]

