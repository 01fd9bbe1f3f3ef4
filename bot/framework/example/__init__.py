"""The bundled example: "Step Up To Great" and its 2024/25 Q2 updates, from the seed report.

``load_example(session)`` imports ``sutg.yaml`` and then its answers file
``sutg-2024-25-Q2-updates.yaml`` exactly as ``ragtime import-updates`` would: each
deliverable's Q2 RAG and narrative as an imported ``Update`` submitted by its first SRO.
Loading again changes nothing. ``ragtime demo`` uses it to compile a report with no Slack at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.framework.history import default_moment, import_answers, read_answers
from bot.framework.importer import ImportSummary, import_framework
from storage.models import Rag

EXAMPLE_DIR = Path(__file__).parent
EXAMPLE_FRAMEWORK = EXAMPLE_DIR / "sutg.yaml"
EXAMPLE_UPDATES = EXAMPLE_DIR / "sutg-2024-25-Q2-updates.yaml"
EXAMPLE_PERIOD = Period(2024, 2)


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
    """The bundled answers file, read as ``ragtime import-updates`` reads it."""
    answers = read_answers(path)
    first = answers.answers[0]
    return ExampleUpdates(
        framework=answers.framework or "",
        period=first.period,
        submitted_at=first.submitted_at or default_moment(first.period),
        updates=[ExampleUpdate(ref=item.deliverable, rag=item.rag, narrative=item.narrative)
                 for item in answers.answers],
    )


def load_example(session: Session) -> ExampleSummary:
    """Import the example framework and its Q2 2024/25 answers (idempotent), the answers as
    ``ragtime import-updates`` does (``bot.framework.history``)."""
    summary = import_framework(session, EXAMPLE_FRAMEWORK, actor="example",
                               audit_unchanged=False)
    answers = read_answers(EXAMPLE_UPDATES)
    periods = {answer.period for answer in answers.answers}
    if answers.framework != summary.framework or periods != {EXAMPLE_PERIOD}:
        raise ValueError(f"{EXAMPLE_UPDATES.name} is for {answers.framework} "
                         f"{', '.join(p.label for p in periods)}, not {summary.framework} "
                         f"{EXAMPLE_PERIOD}")
    history = import_answers(session, answers, framework=summary.framework, actor="example")
    return ExampleSummary(framework=summary, period=EXAMPLE_PERIOD,
                          updates_created=history.created,
                          updates_already_present=history.already_present)
