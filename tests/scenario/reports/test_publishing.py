"""``bot.reports`` targets, records and decisions on their own: parsing the command, recording
compiles, and the decisions (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.collection.rounds import freeze_round, open_round
from bot.collection.updates import PeriodFrozen, submit_update
from bot.ports.reports import PostedMessage, Target
from bot.reports.decisions import approve_report, reopen_report, request_changes
from bot.reports.errors import (
    InvalidRequest,
    NothingToReport,
    PublishError,
    ReportDecided,
    ReportOutOfDate,
    ReportSuperseded,
)
from bot.reports.records import (
    earlier_drafts,
    mark_files_uploaded,
    mark_posted,
    posted_message,
    prepare_draft,
    record_compile,
)
from bot.reports.targets import default_period, parse_compile_text
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Round, Source
from tests.scenario.reports.conftest import NOW, Q2, World, build_world
from tests.support.rounds import open_rounds

TODAY = date(2024, 10, 20)


@pytest.fixture
def any_world(any_engine: Engine) -> World:
    return build_world(any_engine)


def posted_draft(engine: Engine, target: Target = Target.quarter(Q2), *, ts: str = "1.000001",
                 cover: dict | None = None):
    draft = prepare_draft(engine, target, today=TODAY, cover=cover)
    report = record_compile(engine, draft, content_hash=draft.content_hash, by="U0LEAD", at=NOW,
                            cover=cover)
    return mark_posted(engine, report.id, PostedMessage("C0GOVERN", ts, "summary", []))


def resubmit(engine: Engine, deliverable_id: int, narrative: str, actor: str = "U0SMURPHY"):
    open_rounds(engine, Q2)
    with session_scope(engine, write=True) as session:
        return submit_update(session, actor_slack_id=actor, deliverable_id=deliverable_id,
                             period=Q2, rag="green", narrative=narrative, source=Source.modal,
                             today=TODAY)


# ------------------------------------------------------------------------------ the command text

@pytest.mark.parametrize(("text", "target"), [
    ("", Target.quarter(Q2)),
    ("2024/25 Q3", Target.quarter(Period(2024, 3))),
    ("q1 2023/24", Target.quarter(Period(2023, 1))),
    ("2024-25-Q4", Target.quarter(Period(2024, 4))),
    ("2023/24 closure", Target.year_end(2023)),
    ("2023/2024 year end", Target.year_end(2023)),
    ("closure", Target.year_end(2024)),
])
def test_the_command_names_a_quarter_or_a_year_end(text: str, target: Target):
    assert parse_compile_text(text, default=Q2).target == target


def test_cover_values_follow_the_period_and_date_means_date_submitted():
    request = parse_compile_text('2024/25 Q2 meeting=“Public Trust Board” date=7/11/2024',
                                 default=Q2)

    assert request.target == Target.quarter(Q2)
    # The date is read day-first and kept as a date (the paper prints "7 November 2024").
    assert request.cover_overrides == {"meeting": "Public Trust Board",
                                       "date_submitted": "2024-11-07"}


@pytest.mark.parametrize(("text", "message"), [
    ("2024/25", "`2024/25 closure` for the year-end report, or a quarter such as `2024/25 Q2`"),
    ("next week", "'next week' is not a period"),
    ("2024/26 Q1", "a financial year runs April–March"),
    ("banana closure", "`banana` is not a financial year"),
    ('meeting="Board', "check the quotes"),
])
def test_unreadable_command_text_says_what_is_wrong(text: str, message: str):
    with pytest.raises(PublishError) as refused:
        parse_compile_text(text, default=Q2)
    assert message in str(refused.value)


# ------------------------------------------------------------------------------ default period

def test_the_default_period_is_the_open_rounds_else_the_previous_quarter(any_world: World):
    engine = any_world.engine
    assert default_period(engine, TODAY) == Q2
    assert default_period(engine, date(2025, 4, 2)) == Period(2024, 4)
    with session_scope(engine, write=True) as session:
        open_round(session, period=Period(2024, 3), opened_by="U0LEAD")
    assert default_period(engine, date(2025, 4, 2)) == Period(2024, 3)
    with session_scope(engine, write=True) as session:
        round_ = session.exec(select(Round)).one()
        round_.frozen = True
        session.add(round_)
    assert default_period(engine, date(2025, 4, 2)) == Period(2024, 4)


# ------------------------------------------------------------------------------ compiles

def test_an_unchanged_period_is_recognised_until_an_update_changes_it(any_world: World):
    engine = any_world.engine
    first = prepare_draft(engine, Target.quarter(Q2), today=TODAY)
    assert first.last_posted is None and not first.unchanged

    report = posted_draft(engine)
    again = prepare_draft(engine, Target.quarter(Q2), today=TODAY)
    assert again.unchanged and again.last_posted == report and not again.files_uploaded
    assert not prepare_draft(engine, Target.quarter(Q2), today=TODAY,
                             cover={"meeting": "Board"}).unchanged

    resubmit(engine, any_world.ids["go-access-3"], "Something new.")
    assert not prepare_draft(engine, Target.quarter(Q2), today=TODAY).unchanged


def test_the_record_keeps_its_message_cover_and_files_without_the_audit_trail(
    any_world: World,
):
    engine = any_world.engine
    report = posted_draft(engine, cover={"meeting": "Board"})
    mark_files_uploaded(engine, report.id, ["sutg-2024-25-Q2.pdf"], at=NOW)
    with session_scope(engine, write=True) as session:
        for event in session.exec(select(AuditEvent)):
            session.delete(event)

    assert posted_message(engine, report.id) == PostedMessage("C0GOVERN", "1.000001",
                                                              "summary", [])
    again = prepare_draft(engine, Target.quarter(Q2), today=TODAY, cover={"meeting": "Board"})
    assert again.unchanged and again.files_uploaded
    # Approval recompiles with the cover values the draft was compiled with.
    assert approve_report(engine, report.id, by="U0LEAD", at=NOW).status == "approved"


def test_periods_without_data_or_not_started_are_refused(any_world: World):
    engine = any_world.engine
    with pytest.raises(NothingToReport, match="nothing to report for 2024/25 Q3"):
        prepare_draft(engine, Target.quarter(Period(2024, 3)), today=TODAY)
    with pytest.raises(NothingToReport, match="nothing to report for 2023/24 closure"):
        prepare_draft(engine, Target.year_end(2023), today=TODAY)
    with pytest.raises(PublishError, match="2024/25 Q4 has not started yet"):
        prepare_draft(engine, Target.quarter(Period(2024, 4)), today=TODAY)
    with session_scope(engine, write=True) as session:
        open_round(session, period=Period(2024, 3), opened_by="U0LEAD")
    assert prepare_draft(engine, Target.quarter(Period(2024, 3)), today=TODAY).view.missing


# ------------------------------------------------------------------------------ decisions

def test_approval_freezes_the_period_and_reopening_lifts_it(any_world: World):
    engine = any_world.engine
    report = posted_draft(engine, cover={"meeting": "Board"})

    approved = approve_report(engine, report.id, by="U0LEAD", at=NOW)

    assert (approved.status, approved.decided_by, approved.decided_at) == ("approved", "U0LEAD",
                                                                          NOW)
    with session_scope(engine) as session:
        round_ = session.exec(select(Round)).one()
        assert (round_.frozen, round_.approved_by, round_.status) == (True, "U0LEAD", "closed")
    with pytest.raises(PeriodFrozen, match="approved"):
        resubmit(engine, any_world.ids["go-access-3"], "Too late.")
    with pytest.raises(ReportDecided, match="already approved"):
        approve_report(engine, report.id, by="U0LEAD", at=NOW)
    with pytest.raises(ReportDecided, match="reopen it before asking for changes"):
        request_changes(engine, report.id, by="U0LEAD", at=NOW, comment="x",
                        deliverable_ids=[any_world.ids["go-access-3"]])

    reopened = reopen_report(engine, report.id, by="U0LEAD2", at=NOW, reason="late news")

    assert (reopened.status, reopened.decided_by) == ("draft", None)
    assert resubmit(engine, any_world.ids["go-access-3"], "Late news.").created
    with pytest.raises(ReportOutOfDate, match="changed since this draft was compiled"):
        approve_report(engine, report.id, by="U0LEAD", at=NOW)
    with pytest.raises(ReportDecided, match="not approved"):
        reopen_report(engine, report.id, by="U0LEAD", at=NOW)
    with session_scope(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
                   if e.action.startswith(("report.", "round."))]
    assert actions == ["report.compiled", "report.posted", "round.recorded_for_approval",
                       "round.frozen", "round.approved", "report.approved", "round.reopened",
                       "report.reopened"]


def test_only_the_latest_draft_can_be_decided(any_world: World):
    engine = any_world.engine
    old = posted_draft(engine, ts="1.000001")
    resubmit(engine, any_world.ids["go-access-3"], "Something new.")
    new = posted_draft(engine, ts="1.000002")

    assert [r.id for r in earlier_drafts(engine, new)] == [old.id]
    with pytest.raises(ReportSuperseded, match="newer draft"):
        approve_report(engine, old.id, by="U0LEAD", at=NOW)
    assert approve_report(engine, new.id, by="U0LEAD", at=NOW).status == "approved"
    assert earlier_drafts(engine, new) == [old]


def test_request_changes_records_a_message_per_sro_with_a_slack_account(any_world: World):
    engine = any_world.engine
    report = posted_draft(engine)
    ids = any_world.ids
    chosen = [ids["go-research-1"], ids["poc-partnerships-1"], ids["go-access-3"]]

    done = request_changes(engine, report.id, by="U0LEAD", at=NOW, comment="  Add dates.  ",
                           deliverable_ids=[*chosen, ids["go-access-3"]])

    assert done.report.status == "changes_requested" and done.comment == "Add dates."
    assert [c.id for c in done.deliverables] == chosen
    assert done.prompts_recorded == 3 and done.unreachable == ("David Williams",)
    with session_scope(engine) as session:
        messages = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.payload["to"], m.deliverable_id) for m in messages] == [
        ("changes_requested", "U0BHANU", ids["go-research-1"]),
        ("changes_requested", "U0JAMES", ids["go-research-1"]),
        ("changes_requested", "U0SMURPHY", ids["go-access-3"]),
    ]
    assert messages[0].payload["comment"] == "Add dates."
    assert messages[0].payload["period"] == "2024/25 Q2"

    again = request_changes(engine, report.id, by="U0LEAD", at=NOW, comment="And owners.",
                            deliverable_ids=[ids["go-access-3"]])
    assert again.prompts_recorded == 1

    with pytest.raises(InvalidRequest) as empty:
        request_changes(engine, report.id, by="U0LEAD", at=NOW, comment=" ",
                        deliverable_ids=chosen)
    assert empty.value.field == "comment"
    with pytest.raises(InvalidRequest) as unknown:
        request_changes(engine, report.id, by="U0LEAD", at=NOW, comment="x",
                        deliverable_ids=[999_999])
    assert unknown.value.field == "deliverables"
    for bad in ("Please\x00 revise", "Please \ud83d revise"):  # what no database can hold
        with pytest.raises(InvalidRequest, match="The comment contains") as unstorable:
            request_changes(engine, report.id, by="U0LEAD", at=NOW, comment=bad,
                            deliverable_ids=chosen)
        assert unstorable.value.field == "comment"


def test_requests_for_changes_are_refused_on_a_frozen_period(any_world: World):
    engine = any_world.engine
    report = posted_draft(engine)
    with session_scope(engine, write=True) as session:
        open_round(session, period=Q2, opened_by="U0LEAD")
        freeze_round(session, Q2, by="U0LEAD")

    with pytest.raises(ReportDecided, match="frozen"):
        request_changes(engine, report.id, by="U0LEAD", at=NOW, comment="x",
                        deliverable_ids=[any_world.ids["go-access-3"]])
