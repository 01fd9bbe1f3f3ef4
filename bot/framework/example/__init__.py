"""The bundled example: "Step Up To Great" and its 2024/25 Q2 updates, from the seed report.

``load_example(session)`` imports ``sutg.yaml`` and records each deliverable's Q2 RAG and
narrative as a version-1 ``Update`` (source ``import``) submitted by its first SRO. Loading
again changes nothing. ``ragtime demo`` uses it to compile a report with no Slack at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlmodel import Session, select

from bot.calendar.periods import Period, stored_period
from bot.framework.importer import ImportSummary, import_framework
from bot.framework.importer.spec import slug
from storage.models import Deliverable, DeliverableOwner, Rag, Role, Source, Update
from storage.repo import audit

EXAMPLE_DIR = Path(__file__).parent
EXAMPLE_FRAMEWORK = EXAMPLE_DIR / "sutg.yaml"
EXAMPLE_UPDATES = EXAMPLE_DIR / "sutg-2024-25-Q2-updates.yaml"
EXAMPLE_PERIOD = Period(2024, 2)
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ExampleUpdate:
    ref: str
    rag: Rag
    narrative: str


@dataclass(frozen=True)
class ExampleUpdates:
    framework: str
    period: Period
    submitted_at: datetime  # aware, UTC
    updates: list[ExampleUpdate]


@dataclass(frozen=True)
class ExampleSummary:
    framework: ImportSummary
    period: Period
    updates_created: int
    updates_already_present: int

    def __str__(self) -> str:
        return (f"{self.framework}\n{self.period.label} updates: {self.updates_created} recorded, "
                f"{self.updates_already_present} already present")


def example_updates(path: Path = EXAMPLE_UPDATES) -> ExampleUpdates:
    """The bundled updates file as plain values."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    local = datetime.fromisoformat(str(data["submitted_at"]))
    if local.tzinfo is None:
        local = local.replace(tzinfo=LONDON)
    return ExampleUpdates(
        framework=data["framework"],
        period=Period.parse(data["period"]),
        submitted_at=local.astimezone(UTC),
        updates=[ExampleUpdate(ref=item["ref"], rag=Rag(item["rag"]),
                               narrative=" ".join(str(item.get("narrative") or "").split()))
                 for item in data["updates"]],
    )


def load_example(session: Session) -> ExampleSummary:
    """Import the example framework and its Q2 2024/25 updates (idempotent)."""
    summary = import_framework(session, EXAMPLE_FRAMEWORK, actor="example",
                               audit_unchanged=False)
    bundle = example_updates()
    if bundle.framework != summary.framework or bundle.period != EXAMPLE_PERIOD:
        raise ValueError(f"{EXAMPLE_UPDATES.name} is for {bundle.framework} {bundle.period}, "
                         f"not {summary.framework} {EXAMPLE_PERIOD}")
    period = stored_period(session, bundle.period)
    deliverables = {row.ref: row for row in session.exec(
        select(Deliverable).where(Deliverable.framework_id == summary.framework_id))}
    created = present = 0
    for item in bundle.updates:
        deliverable = deliverables.get(item.ref)
        if deliverable is None:
            raise ValueError(f"{EXAMPLE_UPDATES.name}: no deliverable with ref '{item.ref}'")
        existing = session.exec(select(Update.id).where(
            Update.deliverable_id == deliverable.id, Update.period_id == period.id)).first()
        if existing is not None:
            present += 1
            continue
        lead = session.exec(select(DeliverableOwner.person_id).where(
            DeliverableOwner.deliverable_id == deliverable.id,
            DeliverableOwner.role == Role.sro).order_by(DeliverableOwner.position)).first()
        session.add(Update(
            deliverable_id=deliverable.id or 0, period_id=period.id or 0, version=1,
            rag=item.rag, narrative=item.narrative, submitted_by_id=lead,
            submitted_at=bundle.submitted_at, source=Source.imported,
            idempotency_key=f"example:{slug(summary.framework)}:{bundle.period.slug}:{item.ref}",
        ))
        created += 1
    if created:
        audit(session=session, actor="example", action="example.updates",
              subject=summary.framework, period=bundle.period.label, created=created)
    session.flush()
    return ExampleSummary(framework=summary, period=bundle.period, updates_created=created,
                          updates_already_present=present)
