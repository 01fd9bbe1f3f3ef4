import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.calendar.periods import Period
from bot.collection.rounds import close_round, freeze_round, open_round, reopen_round
from bot.collection.updates import (
    DeliverableInactive,
    NoOpenRound,
    NotPermitted,
    PeriodFrozen,
    RuleViolation,
    entry_context,
    latest_update,
    latest_updates,
    previous_period_update,
    submit_update,
    update_history,
)
from bot.reports.load import load_latest_updates
from storage.db import session_scope
from storage.models import AuditEvent, PeriodRecord, Rag, Source, Update
from tests.support.collection_world import (
    BHANU,
    DELEGATE,
    JAMES,
    OUTSIDER,
    Q1,
    Q2,
    SHARON,
    build_world,
)

TODAY = date(2024, 10, 1)


def submit(engine, **fields):
    values = dict(period=Q2, rag=Rag.green, narrative="On track", source=Source.modal,
                  today=TODAY)
    values.update(fields)
    with session_scope(engine, write=True) as s:
        return submit_update(s, **values)


def count(engine, model=Update, *where):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_each_submission_is_a_new_version_and_the_latest_counts(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    first = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                   narrative="Policy drafted")
    second = submit(any_engine, actor_slack_id=DELEGATE, deliverable_id=world.access_policy,
                    rag="amber", narrative="Adoption delayed", recovery_action="Board in Nov",
                    recovery_date="30/11/2024", source=Source.thread)
    assert (first.created, first.update.version, first.replaced) == (True, 1, None)
    assert (second.created, second.update.version) == (True, 2)
    assert second.replaced.id == first.update.id
    assert second.co_owners_slack_ids == (SHARON,)
    assert first.co_owners_slack_ids == (DELEGATE,)
    with session_scope(any_engine) as s:
        latest = latest_update(s, world.access_policy, Q2)
        assert (latest.version, latest.rag, latest.narrative) == (2, Rag.amber, "Adoption delayed")
        assert latest.recovery_date == date(2024, 11, 30)
        assert latest.submitted_by_slack_id == DELEGATE
        assert latest.source == Source.thread
        assert [u.version for u in update_history(s, world.access_policy)] == [1, 2]
        assert s.get(Update, first.update.id).narrative == "Policy drafted"  # never overwritten
        assert set(latest_updates(s, Q2)) == {world.access_policy}
        audits = s.exec(select(AuditEvent).where(AuditEvent.action == "update.submitted")
                        .order_by(AuditEvent.id)).all()
        assert [(a.actor, a.detail["version"], a.detail["rag"]) for a in audits] == [
            (SHARON, 1, "green"), (DELEGATE, 2, "amber")]


def test_submitted_at_is_the_time_the_caller_gives_in_utc(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    london_morning = datetime(2024, 10, 1, 9, 30, tzinfo=ZoneInfo("Europe/London"))
    result = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                    now=london_morning)
    with session_scope(any_engine) as s:
        stored = s.get(Update, result.update.id).submitted_at
    assert stored == datetime(2024, 10, 1, 8, 30, tzinfo=UTC)
    assert stored.utcoffset().total_seconds() == 0


def test_submitted_at_refuses_a_time_without_a_timezone(engine):
    world = build_world(engine, rounds=(Q1, Q2))
    with pytest.raises(ValueError, match="no timezone"):
        submit(engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
               now=datetime(2024, 10, 1, 9, 30))
    assert count(engine) == 0


def test_joint_sros_see_each_other_as_co_owners(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    result = submit(any_engine, actor_slack_id=JAMES, deliverable_id=world.research)
    assert result.co_owners_slack_ids == (BHANU,)
    assert result.deliverable.title.startswith("Support the attainment")


def test_a_repeated_delivery_is_stored_once(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    first = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                   idempotency_key="view:V123:hash1")
    again = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                   narrative="a double click", idempotency_key="view:V123:hash1")
    assert first.created and not again.created
    assert again.update.id == first.update.id
    assert again.update.narrative == "On track"
    assert count(any_engine) == 1


def test_someone_else_is_refused_nothing_stored_and_the_refusal_audited(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    with pytest.raises(NotPermitted, match="not an SRO or delegate"):
        submit(any_engine, actor_slack_id=OUTSIDER, deliverable_id=world.access_policy)
    with pytest.raises(NotPermitted):
        submit(any_engine, actor_slack_id=DELEGATE, deliverable_id=world.access_sops)
    assert count(any_engine) == 0
    with session_scope(any_engine) as s:
        refusals = s.exec(select(AuditEvent).where(AuditEvent.action == "update.refused")
                          .order_by(AuditEvent.id)).all()
    assert [(a.actor, a.subject) for a in refusals] == [
        (OUTSIDER, f"deliverable:{world.access_policy}"),
        (DELEGATE, f"deliverable:{world.access_sops}"),
    ]


def test_rule_violations_store_nothing(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    with pytest.raises(RuleViolation) as caught:
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
               rag="red", narrative="Stalled")
    assert set(caught.value.errors) == {"recovery_action", "recovery_date"}
    assert count(any_engine) == 0
    assert count(any_engine, AuditEvent) == 0


def test_a_change_from_last_quarter_needs_a_reason(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy, period=Q1,
           rag="amber", recovery_action="Consult", recovery_date=date(2024, 12, 31))
    with pytest.raises(RuleViolation) as caught:
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy)
    assert caught.value.errors == {"change_reason": "The rating changed from Amber last "
                                                    "quarter to Green: give a reason for the "
                                                    "change."}
    result = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                    change_reason="Consultation complete")
    assert result.previous_rag == Rag.amber
    assert result.update.change_reason == "Consultation complete"
    with session_scope(any_engine) as s:
        assert previous_period_update(s, world.access_policy, Q2).rag == Rag.amber
        context = entry_context(s, world.access_policy, Q2)
        assert (context.previous_rag, context.latest.version, context.frozen) == (
            Rag.amber, 1, False)


def test_framework_rules_apply(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2), rules={"recovery_required_for": ["red"],
                                           "reason_required_on_change": False})
    result = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                    rag="amber", narrative="Slight delay")
    assert result.update.rag == Rag.amber


def test_a_frozen_period_refuses_until_reopened(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    with session_scope(any_engine, write=True) as s:
        open_round(s, period=Q2, opened_by="U0LEAD")
        freeze_round(s, Q2, by="U0LEAD", approved=True)
    with pytest.raises(PeriodFrozen, match="governance lead must reopen"):
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy)
    assert count(any_engine) == 0
    with session_scope(any_engine, write=True) as s:
        reopen_round(s, Q2, by="U0LEAD", reason="late correction")
    assert submit(any_engine, actor_slack_id=SHARON,
                  deliverable_id=world.access_policy).created


@pytest.mark.parametrize("period", [Period(2023, 2), Period(2024, 3)])
def test_a_period_without_a_round_takes_no_updates_and_makes_no_period_row(any_engine, period):
    world = build_world(any_engine, rounds=(Q1, Q2))
    periods = count(any_engine, PeriodRecord)

    with pytest.raises(NoOpenRound, match=f"no open round for {period.label}"):
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
               period=period)

    assert count(any_engine) == 0 and count(any_engine, PeriodRecord) == periods
    with session_scope(any_engine) as s:
        assert entry_context(s, world.access_policy, period).closed.startswith(
            f"There is no open round for {period.label}")
        assert entry_context(s, world.access_policy, Q2).closed is None


def test_a_closed_round_still_takes_late_updates(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    with session_scope(any_engine, write=True) as s:
        close_round(s, Q2, by="U0LEAD")
    assert submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy).created


def test_the_newest_written_counts_in_every_reader(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    at = datetime(2024, 10, 1, 9, tzinfo=UTC)
    for minutes, words in ((5, "newer"), (0, "older")):  # the older one arrives second
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
               narrative=words, now=at + timedelta(hours=1),
               written_at=at + timedelta(minutes=minutes))
    late = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_sops,
                  narrative="future", now=at, written_at=at + timedelta(days=400))

    with session_scope(any_engine) as s:
        assert latest_update(s, world.access_policy, Q2).narrative == "newer"
        assert latest_updates(s, Q2)[world.access_policy].narrative == "newer"
        assert [u.narrative for u in update_history(s, world.access_policy, Q2)] == [
            "older", "newer"]
        assert [u.version for u in update_history(s, world.access_policy, Q2)] == [2, 1]
        [loaded] = [u for (d, _p), u in load_latest_updates(s, world.framework_id, [
            latest_update(s, world.access_policy, Q2).period_id]).items()
            if d == world.access_policy]
        assert loaded.update.narrative == "newer"
    assert late.update.written_at == at  # never later than it arrived


def test_a_retired_deliverable_takes_no_updates(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    with pytest.raises(DeliverableInactive):
        submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.retired)
    assert count(any_engine) == 0


def test_concurrent_submitters_get_distinct_versions(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(actor: str, n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                submit(any_engine, actor_slack_id=actor, deliverable_id=world.access_policy,
                       narrative=f"{actor} {n} {i}",
                       idempotency_key=f"{n}-{i}" if i % 2 else None)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=((SHARON, DELEGATE)[n % 2], n))
               for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(any_engine) as s:
        versions = [u.version for u in update_history(s, world.access_policy, Q2)]
    assert sorted(versions) == list(range(1, 31))  # history is in written order


def test_a_racing_retry_of_the_same_delivery_is_stored_once(any_engine):
    world = build_world(any_engine, rounds=(Q1, Q2))
    results = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(submit(any_engine, actor_slack_id=SHARON,
                              deliverable_id=world.access_policy, idempotency_key="evt-1"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert len({r.update.id for r in results}) == 1
    assert count(any_engine) == 1


def test_a_version_taken_meanwhile_is_skipped_without_losing_the_transaction(
        any_engine, monkeypatch):
    """A writer that does not lock the deliverable (an import) can take the version a submitter
    read: the insert does nothing, the next version is stored, and the same transaction (with
    its audit event) still commits, on PostgreSQL too, where a failed statement would abort it."""
    import bot.collection.updates as updates

    world = build_world(any_engine, rounds=(Q1, Q2))
    first = submit(any_engine, actor_slack_id=SHARON, deliverable_id=world.access_policy,
                   narrative="Taken first")
    read = updates._newest_and_last_version
    stale = iter([(None, 0)])  # the first read misses the version just taken
    monkeypatch.setattr(updates, "_newest_and_last_version",
                        lambda *args: next(stale, None) or read(*args))

    second = submit(any_engine, actor_slack_id=DELEGATE, deliverable_id=world.access_policy,
                    narrative="Stored next")

    assert (first.update.version, second.update.version) == (1, 2)
    with session_scope(any_engine) as s:
        assert latest_update(s, world.access_policy, Q2).narrative == "Stored next"
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "update.submitted")).all()
    assert [event.detail["version"] for event in audited] == [1, 2]
