from datetime import date

import pytest
from sqlmodel import select

from bot.collection.progress import outstanding_for, round_status
from bot.collection.reminders import record_escalation, record_reminders
from bot.collection.rounds import (
    RoundError,
    close_round,
    find_round,
    freeze_round,
    open_round,
    reopen_round,
)
from bot.collection.updates import submit_update
from bot.framework.people import resolve_slack_ids
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Rag, RoundStatus, Source
from tests.support.collection_world import (
    BHANU,
    DELEGATE,
    JAMES,
    Q1,
    Q2,
    SHARON,
    build_world,
)

TODAY = date(2024, 10, 1)


def open_q2(engine, **kwargs):
    with session_scope(engine, write=True) as s:
        return open_round(s, period=Q2, opened_by="U0LEAD", **kwargs)


def submit(engine, actor, deliverable_id, rag=Rag.green, **fields):
    with session_scope(engine, write=True) as s:
        return submit_update(s, actor_slack_id=actor, deliverable_id=deliverable_id, period=Q2,
                             rag=rag, narrative="Update", source=Source.modal, today=TODAY,
                             **fields)


def messages(engine, kind):
    with session_scope(engine) as s:
        return s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)
                      .order_by(OutboxMessage.id)).all()


def test_open_records_one_prompt_per_sro_per_active_deliverable(any_engine):
    world = build_world(any_engine)
    opened = open_q2(any_engine)
    assert (opened.prompts_recorded, opened.already_open) == (4, False)
    assert opened.round.deadline == date(2024, 10, 14)  # 10 working days after 30 Sep
    assert [(p.name, p.problem) for p in opened.missing_people] == [
        ("Rachel Arnold", "no Slack user id: not found by email, so not prompted")]
    prompts = messages(any_engine, "prompt")
    assert [(m.deliverable_id, m.payload["to"]) for m in prompts] == [
        (world.access_policy, SHARON),  # not the delegate
        (world.access_sops, SHARON),
        (world.research, BHANU),  # joint SROs each get a prompt
        (world.research, JAMES),
    ]
    assert prompts[2].key == f"prompt:2024-25-Q2:{world.research}:{world.people['bchadalavada']}"
    assert prompts[2].payload["joint_sros"] == ["James Mullins"]
    assert prompts[0].payload["deadline"] == "2024-10-14"
    assert all(m.status == "pending" for m in prompts)


def test_opening_twice_records_nothing_twice_but_catches_newly_found_people(any_engine):
    build_world(any_engine)
    open_q2(any_engine)
    again = open_q2(any_engine, deadline=date(2024, 11, 1))
    assert (again.prompts_recorded, again.already_open) == (0, True)
    assert again.round.deadline == date(2024, 10, 14)
    with session_scope(any_engine, write=True) as s:
        resolve_slack_ids(s, lambda email: "U0RACHEL")
    third = open_q2(any_engine)
    assert (third.prompts_recorded, third.missing_people) == (1, [])
    assert len(messages(any_engine, "prompt")) == 5
    with session_scope(any_engine) as s:
        opened = s.exec(select(AuditEvent).where(AuditEvent.action == "round.opened")).all()
    assert len(opened) == 1


def test_explicit_deadline_and_framework_calendar(any_engine):
    build_world(any_engine, rules={"calendar": {"deadline_after_quarter_end": 5}})
    assert open_q2(any_engine).round.deadline == date(2024, 10, 7)
    with session_scope(any_engine, write=True) as s:
        opened = open_round(s, period=Q1, opened_by="U0LEAD", deadline=date(2024, 7, 19))
    assert opened.round.deadline == date(2024, 7, 19)


def test_status_per_theme_and_outstanding_for(any_engine):
    world = build_world(any_engine)
    with session_scope(any_engine) as s:
        before = round_status(s, Q2)
    assert (before.opened, before.deadline, before.outstanding_count) == (
        False, date(2024, 10, 14), 4)
    open_q2(any_engine)
    submit(any_engine, SHARON, world.access_policy)
    submit(any_engine, JAMES, world.research, rag=Rag.amber, recovery_action="Recruit",
           recovery_date=date(2025, 3, 31))
    with session_scope(any_engine) as s:
        view = round_status(s, Q2)
        assert (view.opened, view.status, view.frozen) == (True, RoundStatus.open, False)
        assert (view.total, view.answered_count, view.outstanding_count) == (4, 2, 2)
        outcomes, workplace = view.themes
        assert outcomes.name == "Great Outcomes"
        assert [(d.id, d.rag, d.submitted_by_slack_id) for d in outcomes.answered] == [
            (world.access_policy, Rag.green, SHARON), (world.research, Rag.amber, JAMES)]
        assert [d.id for d in outcomes.outstanding] == [world.access_sops]
        assert [[s.name for s in d.sros] for d in workplace.outstanding] == [["Rachel Arnold"]]
        assert [d.name for d in outcomes.answered[0].delegates] == ["Dee Legate"]
        assert [d.id for d in outstanding_for(s, Q2, SHARON)] == [world.access_sops]
        assert outstanding_for(s, Q2, BHANU) == []
        assert outstanding_for(s, Q2, DELEGATE) == []


def test_reminders_go_only_to_sros_still_outstanding(any_engine):
    world = build_world(any_engine)
    open_q2(any_engine)
    submit(any_engine, SHARON, world.access_policy)
    submit(any_engine, BHANU, world.research)
    with session_scope(any_engine, write=True) as s:
        assert record_reminders(s, Q2, "5-days-before") == 1
        assert record_reminders(s, Q2, "5-days-before") == 0  # same stage: nothing twice
    reminders = messages(any_engine, "reminder")
    assert [(m.key, m.payload["to"], m.payload["deliverable_ids"]) for m in reminders] == [
        (f"reminder:2024-25-Q2:5-days-before:{world.people['smurphy']}", SHARON,
         [world.access_sops]),
    ]
    submit(any_engine, SHARON, world.access_sops)
    with session_scope(any_engine, write=True) as s:
        assert record_reminders(s, Q2, "deadline-day") == 0


def test_escalation_lists_who_is_outstanding_once(any_engine):
    world = build_world(any_engine)
    open_q2(any_engine)
    submit(any_engine, SHARON, world.access_policy)
    with session_scope(any_engine, write=True) as s:
        first = record_escalation(s, Q2)
        second = record_escalation(s, Q2)
    assert first.id == second.id
    assert first.kind == "escalation" and "to" not in first.payload
    assert first.payload["outstanding_count"] == 3
    assert [t["theme"] for t in first.payload["themes"]] == ["Great Outcomes",
                                                             "Great Place to Work"]
    research = first.payload["themes"][0]["outstanding"][1]
    assert [s["slack_id"] for s in research["sros"]] == [BHANU, JAMES]
    for deliverable_id, actor in ((world.access_sops, SHARON), (world.research, BHANU)):
        submit(any_engine, actor, deliverable_id)
    with session_scope(any_engine, write=True) as s:
        resolve_slack_ids(s, lambda email: "U0RACHEL")
    submit(any_engine, "U0RACHEL", world.wellbeing)
    with session_scope(any_engine, write=True) as s:
        assert record_escalation(s, Q2, stage="final") is None


def test_freeze_reopen_close_record_who_and_when(any_engine):
    build_world(any_engine)
    open_q2(any_engine)
    with session_scope(any_engine, write=True) as s:
        frozen = freeze_round(s, Q2, by="U0LEAD", approved=True)
        assert (frozen.frozen, frozen.frozen_by, frozen.approved_by) == (True, "U0LEAD", "U0LEAD")
        assert frozen.frozen_at is not None and frozen.approved_at is not None
        assert record_reminders(s, Q2, "deadline-day") == 0
        assert record_escalation(s, Q2) is None
    with session_scope(any_engine) as s:
        assert round_status(s, Q2).frozen
    with session_scope(any_engine, write=True) as s:
        reopened = reopen_round(s, Q2, by="U0LEAD2", reason="SRO correction")
        assert (reopened.frozen, reopened.approved_at, reopened.frozen_by) == (False, None, None)
        closed = close_round(s, Q2, by="U0LEAD2")
        assert (closed.status, closed.closed_by) == (RoundStatus.closed, "U0LEAD2")
        assert record_reminders(s, Q2, "deadline-day") == 0
        assert open_round(s, period=Q2, opened_by="U0LEAD").prompts_recorded == 0
    with session_scope(any_engine) as s:
        actions = [(a.action, a.actor) for a in s.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("round."))
            .order_by(AuditEvent.id)).all()]
        assert actions == [
            ("round.opened", "U0LEAD"), ("round.prompts_recorded", "U0LEAD"),
            ("round.frozen", "U0LEAD"), ("round.approved", "U0LEAD"),
            ("round.reopened", "U0LEAD2"), ("round.closed", "U0LEAD2"),
        ]
        assert find_round(s, Q2).closed_at is not None


def test_clear_errors_without_a_framework_or_a_round(any_engine):
    with session_scope(any_engine, write=True) as s, pytest.raises(
            RoundError, match="No framework has been imported"):
        open_round(s, period=Q2, opened_by="U0LEAD")
    build_world(any_engine)
    with session_scope(any_engine, write=True) as s:
        with pytest.raises(RoundError, match="No round has been opened for 2024/25 Q2"):
            record_reminders(s, Q2, "5-days-before")
        with pytest.raises(RoundError, match="open it first"):
            freeze_round(s, Q2, by="U0LEAD")
