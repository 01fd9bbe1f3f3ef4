"""The calendar's questions to the database: the framework's calendar, whether there is a
framework, why a scheduled step should not do its work, and what a run's end leaves behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_CALENDAR, RoundCalendar
from bot.calendar.runs import claim_run, record_job_outcome, runs_of
from bot.calendar.scheduling import calendar_for, has_framework, skip_reason
from bot.collection.rounds import open_round
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import AuditEvent
from tests.unit.schedules.support import FRAMEWORK_YAML

Q2 = Period.parse("2024/25 Q2")
STEPS = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(Q2)}


def _import(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "framework.yaml"
    path.write_text(FRAMEWORK_YAML, encoding="utf-8")
    with session_scope(engine, write=True) as session:
        import_framework(session, path)


def test_a_reminder_is_superseded_only_by_a_later_step_already_due() -> None:
    after_two = STEPS["remind:2-days-before"] + timedelta(hours=1)
    assert DEFAULT_CALENDAR.superseded_by(Q2, "remind:5-days-before", after_two) == (
        "remind:2-days-before")
    assert DEFAULT_CALENDAR.superseded_by(Q2, "remind:2-days-before", after_two) is None
    late = STEPS["escalate"]
    assert DEFAULT_CALENDAR.superseded_by(Q2, "remind:deadline-day", late) == "escalate"
    assert DEFAULT_CALENDAR.superseded_by(Q2, "remind:no-such-stage", late) is None


def test_without_a_framework_the_defaults_and_nothing_to_skip(engine) -> None:
    assert not has_framework(engine)
    assert calendar_for(engine, timezone="Europe/London") == RoundCalendar()
    # The job goes ahead; its flow says what is missing (and the job fails).
    assert skip_reason(engine, "compile", Q2, now=STEPS["compile"]) is None


def test_steps_of_a_round_never_opened_are_skipped(engine, tmp_path: Path) -> None:
    _import(engine, tmp_path)
    assert has_framework(engine)
    for job in ("compile", "escalate", "remind:5-days-before"):
        assert skip_reason(engine, job, Q2, now=STEPS["open_round"]) == (
            "skipped: no round has been opened for 2024/25 Q2")
    assert skip_reason(engine, "open_round", Q2, now=STEPS["open_round"]) is None

    with session_scope(engine, write=True) as session:
        open_round(session, period=Q2, opened_by="test")
    assert skip_reason(engine, "compile", Q2, now=STEPS["compile"]) is None
    assert skip_reason(engine, "remind:5-days-before", Q2,
                       now=STEPS["remind:5-days-before"]) is None
    assert skip_reason(engine, "remind:deadline-day", Q2, now=STEPS["escalate"]) == (
        "skipped: escalate is already due")


def test_a_run_ends_done_or_failed_in_the_audit_trail(engine) -> None:
    assert claim_run(engine, "compile", Q2.label)
    assert claim_run(engine, "escalate", Q2.label)
    record_job_outcome(engine, "compile", Q2.label, outcome="draft report posted")
    record_job_outcome(engine, "escalate", Q2.label, error="EscalationNotPosted: is_archived")

    runs = runs_of(engine, [Q2.label])
    assert runs[("compile", Q2.label)].finished_at is not None
    assert runs[("escalate", Q2.label)].finished_at is None  # failed: left for a person
    with session_scope(engine) as session:
        events = {(e.action, e.subject): e.detail
                  for e in session.exec(select(AuditEvent)).all() if e.actor == "scheduler"}
    assert events == {
        ("job.done", "compile 2024/25 Q2"): {"outcome": "draft report posted"},
        ("job.failed", "escalate 2024/25 Q2"): {"error": "EscalationNotPosted: is_archived"},
    }
