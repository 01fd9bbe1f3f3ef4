"""The risk return: owners only, locked with the quarter, versioned and audited, the score
computed from likelihood × consequence, each rule at entry (on SQLite and PostgreSQL), prefilled
from last quarter and confirmed in one step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product

import pytest
from sqlmodel import select

from bot.calendar.periods import Period
from bot.collection.risk_flows import confirm_no_change, risk_form_for, submit_risk_return
from bot.collection.risk_returns import return_history, risk_scores
from bot.collection.risk_rules import ReturnFields
from bot.collection.rounds import freeze_round
from bot.context import AppContext
from bot.framework.baf import CONSEQUENCES, LIKELIHOODS, POSSIBLE_SCORES
from bot.framework.importer import import_framework
from bot.settings import load_settings
from storage.db import session_scope
from storage.models import AuditEvent, Framework, Person, Risk
from tests.paths import DATA
from tests.support.rounds import open_rounds

Q2, Q3 = Period(2024, 2), Period(2024, 3)
NOW = datetime(2024, 10, 7, 9, 0, tzinfo=UTC)  # early in Q3's round, for Q2's returns


@pytest.fixture
def baf(any_engine):
    """The BAF framework (risk 01: Alice, target 12 by 31 Mar 2025, cautious, scored 20 for
    Q2 in the file; risk 02: Bob and Alice, target 6, open) with Q2's and Q3's rounds open."""
    with session_scope(any_engine, write=True) as s:
        import_framework(s, DATA / "baf.yaml")
    open_rounds(any_engine, Q2, Q3)
    with session_scope(any_engine) as s:
        risks = {r.number: r.id for r in s.exec(select(Risk))}
        people = {p.key: p.id for p in s.exec(select(Person))}
    clock = {"now": NOW}
    ctx = AppContext(settings=load_settings(), engine=any_engine, clock=lambda: clock["now"])
    return ctx, risks, people, clock


def dated_action(due: str = "31/12/2024", deliverable: str | None = None) -> dict:
    return {"text": "Open the new clinic", "owner": "Alice Jones", "due": due,
            "deliverable": deliverable}


def submit(ctx, risk_id, period=Q3, *, slack="U0AJONES1", **fields):
    values = {"likelihood": 4, "consequence": 5, "rationale": "", "actions": [dated_action()]}
    values.update(fields)
    return submit_risk_return(ctx, risk_id=risk_id, period=period,
                              entered=ReturnFields(**values), source="modal",
                              actor_slack_id=slack)


def test_only_the_14_products_of_the_grid_can_be_scores(baf):
    ctx, risks, _people, _clock = baf
    scores = set()
    for likelihood, consequence in product(LIKELIHOODS, CONSEQUENCES):
        outcome = submit(ctx, risks["01"], likelihood=likelihood, consequence=consequence,
                         rationale="re-scored")
        assert outcome.ok, outcome
        assert outcome.saved.stored.score == likelihood * consequence
        scores.add(outcome.saved.stored.score)
    assert sorted(scores) == list(POSSIBLE_SCORES) and len(POSSIBLE_SCORES) == 14
    for bad in (0, 6, "often", ""):
        outcome = submit(ctx, risks["01"], likelihood=bad, rationale="x")
        assert "likelihood" in outcome.errors
    assert "1 negligible" in submit(ctx, risks["01"], consequence=9).errors["consequence"]


def test_a_changed_score_needs_a_rationale(baf):
    ctx, risks, _people, _clock = baf
    outcome = submit(ctx, risks["01"], likelihood=4, consequence=4)  # 16, Q2 was 20
    assert outcome.errors == {"rationale": "The score changed from 20 last quarter to 16: "
                                           "give the rationale for the change."}
    assert submit(ctx, risks["01"], likelihood=4, consequence=5).ok  # 20 again: no rationale
    assert submit(ctx, risks["01"], likelihood=4, consequence=4,
                  rationale="New clinic opened").ok


def test_a_score_above_target_needs_a_dated_action(baf):
    ctx, risks, _people, _clock = baf
    outcome = submit(ctx, risks["01"], actions=[{"text": "Recruit", "owner": "Alice"}])
    assert outcome.errors == {"actions": "The score 20 is above the target 12: list at least "
                                         "one action with a date that will bring it down."}
    assert submit(ctx, risks["01"], likelihood=3, consequence=4, rationale="At target",
                  actions=[]).ok  # 12: at target, no action needed
    bad_date = submit(ctx, risks["01"], actions=[dated_action(due="31/02/2025")])
    assert "is not a real date" in bad_date.errors["actions"]


def test_a_past_target_date_with_the_score_above_target_is_flagged(baf):
    ctx, risks, _people, clock = baf
    assert submit(ctx, risks["01"]).saved.flags == (
        "The score 20 is outside the cautious risk appetite (at most 12).",)
    clock["now"] = datetime(2025, 4, 8, 9, 0, tzinfo=UTC)  # after 31 Mar 2025
    flags = submit(ctx, risks["01"]).saved.flags
    assert flags[0] == ("The target date 31 Mar 2025 has passed and the score 20 is still "
                        "above the target 12.")
    at_target = submit(ctx, risks["01"], likelihood=3, consequence=4, rationale="Down")
    assert at_target.saved.flags == ()


def test_a_score_outside_appetite_is_flagged(baf):
    ctx, risks, _people, _clock = baf
    # Risk 02: appetite open, at most 15 in this framework's file.
    bob = "U0BSMITH1"
    with session_scope(ctx.engine, write=True) as s:
        person = s.exec(select(Person).where(Person.key == "bsmith")).one()
        person.slack_id = bob
    inside = submit(ctx, risks["02"], slack=bob, likelihood=3, consequence=5, rationale="up")
    assert inside.ok and inside.saved.flags == ()
    outside = submit(ctx, risks["02"], slack=bob, likelihood=4, consequence=4, rationale="up")
    assert outside.saved.flags == ("The score 16 is outside the open risk appetite "
                                   "(at most 15).",)


def test_only_an_owner_may_return_a_risk_and_a_refusal_is_audited(baf):
    ctx, risks, _people, _clock = baf
    outcome = submit(ctx, risks["03"])  # risk 03 has no owner
    assert outcome.refused.startswith("You are not an owner of this BAF risk")
    assert risk_form_for(ctx, risk_id=risks["01"], period=Q3,
                         actor_slack_id="U0SOMEONE").refused
    with session_scope(ctx.engine) as s:
        refused = s.exec(select(AuditEvent).where(
            AuditEvent.action == "risk_return.refused")).all()
    assert [e.subject for e in refused] == [f"risk:{risks['03']}"]


def test_returns_are_versioned_audited_and_locked_with_the_quarter(baf):
    ctx, risks, _people, _clock = baf
    first = submit(ctx, risks["01"])
    second = submit(ctx, risks["01"], likelihood=3, consequence=5, rationale="Eased")
    assert (first.saved.stored.version, second.saved.stored.version) == (1, 2)
    with session_scope(ctx.engine, write=True) as s:
        freeze_round(s, Q3, by="U0LEAD")
    locked = submit(ctx, risks["01"], likelihood=2, consequence=5, rationale="Later")
    assert locked.refused and "frozen" in locked.refused
    with session_scope(ctx.engine) as s:
        history = return_history(s, risks["01"])
        events = s.exec(select(AuditEvent).where(
            AuditEvent.action == "risk_return.submitted")).all()
        framework = s.exec(select(Framework)).one()
        scores = risk_scores(s, framework.id, Q3)
    assert [(r.version, r.score) for r in history] == [(1, 20), (2, 15)]
    assert [(e.detail["version"], e.detail["score"], e.detail["previous_score"])
            for e in events] == [(1, 20, 20), (2, 15, 20)]
    assert [(s.period, s.score) for s in scores[risks["01"]]] == [(Q2, 20), (Q3, 15)]


def test_a_return_is_prefilled_from_last_quarter_and_confirmed_in_one_step(baf):
    ctx, risks, _people, _clock = baf
    full = dict(likelihood=4, consequence=4, rationale="New clinic", controls="Waiting list "
                "validation", control_gaps="No weekend cover",
                assurances=[{"line": "second", "kind": "positive", "text": "Audit of waits"},
                            {"line": "third", "kind": "negative", "text": "CQC report"}],
                assurance_gaps="No internal audit this year",
                actions=[dated_action(due="2024-12-31", deliverable="go-1")])
    assert submit(ctx, risks["01"], period=Q2, **full).ok
    form = risk_form_for(ctx, risk_id=risks["01"], period=Q3, actor_slack_id="U0AJONES1")
    draft = form.entry.draft
    assert (draft.likelihood, draft.consequence, draft.from_period) == (4, 4, "2024/25 Q2")
    assert draft.controls == "Waiting list validation" and draft.rationale == ""
    assert [a.line for a in draft.assurances] == ["second", "third"]
    assert draft.actions[0].deliverable == "GO-1" and draft.actions[0].due == date(2024, 12, 31)

    confirmed = confirm_no_change(ctx, risk_id=risks["01"], period=Q3, source="modal",
                                  actor_slack_id="U0AJONES1")
    stored = confirmed.saved.stored
    assert (stored.score, stored.unchanged, stored.controls) == (16, True,
                                                                 "Waiting list validation")
    assert stored.assurances[1] == {"line": "third", "kind": "negative", "text": "CQC report"}


def test_no_change_needs_an_earlier_return_and_still_keeps_the_rules(baf):
    ctx, risks, _people, _clock = baf
    nothing = confirm_no_change(ctx, risk_id=risks["01"], period=Q3, source="modal",
                                actor_slack_id="U0AJONES1")
    assert "no earlier return" in nothing.refused
    assert submit(ctx, risks["01"], period=Q2, actions=[dated_action()]).ok
    assert confirm_no_change(ctx, risk_id=risks["01"], period=Q3, source="modal",
                             actor_slack_id="U0AJONES1").ok


def test_an_action_names_a_deliverable_of_the_framework(baf):
    ctx, risks, _people, _clock = baf
    outcome = submit(ctx, risks["01"], actions=[dated_action(deliverable="ZZ-9")])
    assert "there is no deliverable ZZ-9" in outcome.errors["actions"]


def test_a_retry_with_the_same_key_stores_once(baf):
    ctx, risks, _people, _clock = baf
    entered = ReturnFields(likelihood=4, consequence=5, actions=[dated_action()])
    first = submit_risk_return(ctx, risk_id=risks["01"], period=Q3, entered=entered,
                               source="modal", actor_slack_id="U0AJONES1",
                               idempotency_key="view:1")
    again = submit_risk_return(ctx, risk_id=risks["01"], period=Q3, entered=entered,
                               source="modal", actor_slack_id="U0AJONES1",
                               idempotency_key="view:1")
    assert first.saved.created and not again.saved.created
    assert again.saved.stored.id == first.saved.stored.id
