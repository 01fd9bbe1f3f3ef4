"""Absences, cover and deadline extensions in a round, on both databases: who is prompted,
reminded and escalated on which day (2024/25 Q2: opens Mon 23 Sep, deadline Mon 14 Oct)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.collection.away import list_away
from bot.collection.away_chase import chase_in_session
from bot.collection.extensions import ExtensionError, extend_deadline
from bot.collection.reminders import record_escalation, record_reminders
from bot.collection.rounds import find_round, open_round
from bot.collection.status import round_status_report
from bot.collection.submissions import update_form_for
from bot.collection.updates import NotPermitted, submit_update
from bot.collection.values import Target
from bot.context import AppContext
from bot.framework.absences import (
    AbsenceError,
    absences_between,
    away_on,
    cancel_absence,
    find_person,
    record_absence,
)
from bot.framework.people import Channels
from bot.framework.permissions import may_submit
from bot.reports.build import build_report
from bot.settings import load_settings
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Rag, Source, Update, UpdateOnBehalf
from tests.support.collection_world import (
    BHANU,
    DELEGATE,
    JAMES,
    OUTSIDER,
    Q2,
    SHARON,
    build_world,
)

OPENS = date(2024, 9, 23)
LONDON = ZoneInfo("Europe/London")


def away(engine, key, starts, ends, cover=None, note=""):
    with session_scope(engine, write=True) as s:
        return record_absence(s, person=find_person(s, key), starts=starts, ends=ends,
                              cover=find_person(s, cover) if cover else None, note=note,
                              by="test")


def open_on(engine, today):
    with session_scope(engine, write=True) as s:
        return open_round(s, period=Q2, opened_by="U0LEAD", today=today)


def chase(engine, today):
    with session_scope(engine, write=True) as s:
        round_ = find_round(s, Q2)
        return chase_in_session(s, round_, Q2, today=today, timezone="Europe/London",
                                channels=Channels())


def outbox(engine, kind):
    with session_scope(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)
                      .order_by(OutboxMessage.id)).all()
        return [(row.key, row.payload) for row in rows]


def test_absences_are_recorded_checked_listed_and_cancelled(any_engine):
    build_world(any_engine)
    first = away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider",
                 note="Annual leave")
    assert first.describe() == "away Fri 20 Sep 2024 – Fri 4 Oct 2024, covered by Owen Side"
    assert first.back_on == date(2024, 10, 7)
    # The same dates again change the cover (an import run twice records nothing twice).
    again = away(any_engine, "sharon.murphy@EXAMPLE.nhs.uk", date(2024, 9, 20), date(2024, 10, 4),
                 cover="jmullins")
    assert (again.id, again.cover_name) == (first.id, "James Mullins")
    problems = {
        "ends before": ("smurphy", date(2024, 10, 4), date(2024, 10, 1), None),
        "overlap": ("smurphy", date(2024, 10, 1), date(2024, 10, 9), None),
        "own cover": ("jmullins", date(2024, 11, 1), date(2024, 11, 2), "jmullins"),
        "cover busy": ("bchadalavada", date(2024, 9, 30), date(2024, 10, 2), "smurphy"),
        "covering": ("jmullins", date(2024, 10, 1), date(2024, 10, 2), None),
        "nobody": ("nobody", date(2024, 10, 1), date(2024, 10, 2), None),
    }
    messages = {}
    for name, (key, starts, ends, cover) in problems.items():
        with pytest.raises(AbsenceError) as refused:
            away(any_engine, key, starts, ends, cover=cover)
        messages[name] = str(refused.value)
    assert messages["ends before"] == ("The absence ends (Tue 1 Oct 2024) before it starts "
                                       "(Fri 4 Oct 2024).")
    assert "already recorded away Fri 20 Sep 2024" in messages["overlap"]
    assert messages["own cover"].startswith("James Mullins cannot cover their own absence")
    assert messages["cover busy"].startswith("Sharon Murphy is away too")
    assert messages["covering"].startswith("James Mullins covers Sharon Murphy from")
    assert messages["nobody"].startswith("No person 'nobody' in the framework")

    with session_scope(any_engine) as s:
        assert set(away_on(s, date(2024, 10, 1))) == {find_person(s, "smurphy").id}
        assert away_on(s, date(2024, 10, 7)) == {}
    with session_scope(any_engine, write=True) as s:
        cancelled = cancel_absence(s, person=find_person(s, "smurphy"), today=date(2024, 9, 1),
                                   by="test")
        assert cancelled.starts == date(2024, 9, 20)
        assert absences_between(s) == []
        assert s.exec(select(AuditEvent).where(
            AuditEvent.action == "absence.cancelled")).one().detail["person"] == "smurphy"


def test_opening_holds_the_absent_and_prompts_their_cover_on_their_behalf(any_engine):
    world = build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider")
    away(any_engine, "jmullins", date(2024, 9, 23), date(2024, 9, 27))
    opened = open_on(any_engine, OPENS)
    prompts = outbox(any_engine, "prompt")
    sharon, owen = world.people["smurphy"], world.people["outsider"]
    assert [(key, payload["to"]) for key, payload in prompts] == [
        (f"prompt:2024-25-Q2:{world.access_policy}:{owen}:for:{sharon}", OUTSIDER),
        (f"prompt:2024-25-Q2:{world.access_sops}:{owen}:for:{sharon}", OUTSIDER),
        (f"prompt:2024-25-Q2:{world.research}:{world.people['bchadalavada']}", BHANU),
    ]  # James Mullins is away with no cover: not prompted yet
    assert opened.prompts_recorded == 3
    assert prompts[0][1]["on_behalf_of"] == "Sharon Murphy"
    assert prompts[0][1]["away_until"] == "2024-10-04"

    # The daily step on Mon 30 Sep, James's first working day back: his prompt goes now.
    assert chase(any_engine, date(2024, 9, 27)).prompts == 0
    assert chase(any_engine, date(2024, 9, 30)).prompts == 1
    assert outbox(any_engine, "prompt")[-1][1]["to"] == JAMES
    assert chase(any_engine, date(2024, 9, 30)).prompts == 0  # once


def test_reminders_skip_the_absent_remind_their_cover_and_wait_for_a_return(any_engine):
    world = build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider")
    away(any_engine, "jmullins", date(2024, 9, 23), date(2024, 9, 27))
    open_on(any_engine, OPENS)
    with session_scope(any_engine, write=True) as s:
        record_reminders(s, Q2, "stage-a", today=date(2024, 9, 30))
    reminded = {key: payload for key, payload in outbox(any_engine, "reminder")}
    owen, sharon = world.people["outsider"], world.people["smurphy"]
    assert set(reminded) == {f"reminder:2024-25-Q2:stage-a:{owen}:for:{sharon}",
                             f"reminder:2024-25-Q2:stage-a:{world.people['bchadalavada']}"}
    cover = reminded[f"reminder:2024-25-Q2:stage-a:{owen}:for:{sharon}"]
    assert (cover["to"], cover["on_behalf_of"]) == (OUTSIDER, "Sharon Murphy")
    assert cover["deliverable_ids"] == [world.access_policy, world.access_sops]
    # Sharon is back on Mon 7 Oct: reminded herself from then on.
    with session_scope(any_engine, write=True) as s:
        record_reminders(s, Q2, "stage-b", today=date(2024, 10, 8))
    assert {payload["to"] for key, payload in outbox(any_engine, "reminder")
            if ":stage-b:" in key} == {SHARON, BHANU, JAMES}


def test_a_cover_submits_on_behalf_only_while_the_absence_runs(any_engine):
    world = build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider")
    open_on(any_engine, OPENS)
    with session_scope(any_engine) as s:
        assert may_submit(s, deliverable_id=world.access_policy, slack_id=OUTSIDER,
                          on=date(2024, 10, 1))
        assert not may_submit(s, deliverable_id=world.access_policy, slack_id=OUTSIDER,
                              on=date(2024, 10, 7))
        assert not may_submit(s, deliverable_id=world.research, slack_id=OUTSIDER,
                              on=date(2024, 10, 1))  # not Sharon's
        assert may_submit(s, deliverable_id=world.access_policy, slack_id=SHARON,
                          on=date(2024, 10, 1))  # still hers
    with session_scope(any_engine, write=True) as s:
        result = submit_update(s, actor_slack_id=OUTSIDER, deliverable_id=world.access_policy,
                               period=Q2, rag=Rag.green, narrative="Policy adopted.",
                               source=Source.modal, today=date(2024, 10, 1))
        update_id = result.update.id
    with session_scope(any_engine) as s:
        update = s.get(Update, update_id)
        assert update.submitted_by_id == world.people["outsider"]
        behalf = s.exec(select(UpdateOnBehalf)).one()
        assert (behalf.update_id, behalf.on_behalf_of_id) == (update_id, world.people["smurphy"])
        row = next(r for t in build_report(s, Q2).themes for r in t.rows
                   if r.title.startswith("Review, update, revise"))
        assert row.sros[0].name == "Sharon Murphy"
        assert row.cover_note == "Submitted by Owen Side (cover)."
    with pytest.raises(NotPermitted), session_scope(any_engine, write=True) as s:
        submit_update(s, actor_slack_id=OUTSIDER, deliverable_id=world.access_sops, period=Q2,
                      rag=Rag.green, narrative="Late.", source=Source.modal,
                      today=date(2024, 10, 7))


def test_an_extension_moves_reminders_escalation_and_the_paper(any_engine):
    world = build_world(any_engine)
    with pytest.raises(ExtensionError, match="No round has been opened"), \
            session_scope(any_engine, write=True) as s:
        extend_deadline(s, period=Q2, target="smurphy", until=date(2024, 10, 25), by="lead")
    open_on(any_engine, OPENS)
    with session_scope(any_engine, write=True) as s:
        with pytest.raises(ExtensionError, match="must be later"):
            extend_deadline(s, period=Q2, target="smurphy", until=date(2024, 10, 14), by="lead")
        with pytest.raises(ExtensionError, match="No person or deliverable 'XX-9'"):
            extend_deadline(s, period=Q2, target="XX-9", until=date(2024, 10, 25), by="lead")
        given = extend_deadline(s, period=Q2, target="smurphy", until=date(2024, 10, 21),
                                by="lead")
        given = extend_deadline(s, period=Q2, target="smurphy", until=date(2024, 10, 25),
                                by="lead")  # replaces the first
        assert (given.who, given.until) == ("Sharon Murphy", date(2024, 10, 25))
        record_reminders(s, Q2, "5-days-before", today=date(2024, 10, 7))
    assert {p["to"] for _, p in outbox(any_engine, "reminder")} == {BHANU, JAMES}

    # Her own stages count back from 25 Oct: 5 working days before is Fri 18 Oct.
    assert chase(any_engine, date(2024, 10, 17)).reminders == 0
    assert chase(any_engine, date(2024, 10, 18)).reminders == 1
    key, payload = outbox(any_engine, "reminder")[-1]
    sharon = world.people["smurphy"]
    assert key == f"reminder:2024-25-Q2:5-days-before@2024-10-25:{sharon}"
    assert (payload["to"], payload["deadline"]) == (SHARON, "2024-10-25")

    # Tue 15 Oct: research is late; Sharon's two are extended, not late.
    with session_scope(any_engine, write=True) as s:
        message = record_escalation(s, Q2, today=date(2024, 10, 15))
        escalation = message.payload
    late = [item["title"] for t in escalation["themes"] for item in t["outstanding"]]
    assert late == ["Support the attainment of University Hospital Trust status",
                    "Deliver the staff health and wellbeing plan"]
    assert [(item["id"], item["until"]) for item in escalation["extended"]] == [
        (world.access_policy, "2024-10-25"), (world.access_sops, "2024-10-25")]
    # The paper says so rather than "No update received".
    with session_scope(any_engine) as s:
        rows = {r.title[:6]: r for t in build_report(s, Q2).themes for r in t.rows}
    assert rows["Review"].missing_text == ("No update received yet: deadline extended to "
                                           "25 October 2024.")
    assert rows["Suppor"].missing_text == ""
    # One working day after 25 Oct (Mon 28 Oct) the extended ones are escalated.
    assert chase(any_engine, date(2024, 10, 25)).escalations == 0
    assert chase(any_engine, date(2024, 10, 28)).escalations == 1
    key, payload = outbox(any_engine, "escalation")[-1]
    assert key == "escalation:2024-25-Q2:extended-2024-10-25"
    assert payload["deadline"] == "2024-10-25"
    assert [i["id"] for t in payload["themes"] for i in t["outstanding"]] == [
        world.access_policy, world.access_sops]


def test_escalation_lists_uncovered_absences_as_a_decision_not_lateness(any_engine):
    world = build_world(any_engine)
    away(any_engine, "bchadalavada", date(2024, 10, 10), date(2024, 10, 25))
    away(any_engine, "jmullins", date(2024, 10, 14), date(2024, 10, 18))
    away(any_engine, "smurphy", date(2024, 10, 14), date(2024, 10, 18), cover="outsider")
    open_on(any_engine, OPENS)
    with session_scope(any_engine, write=True) as s:
        payload = record_escalation(s, Q2, today=date(2024, 10, 15)).payload
    assert [item["id"] for item in payload["away"]] == [world.research]
    assert {sro["name"]: sro["back_on"] for sro in payload["away"][0]["sros"]} == {
        "Bhanu Chadalavada": "2024-10-28", "James Mullins": "2024-10-21"}
    late = [item for t in payload["themes"] for item in t["outstanding"]]
    assert [item["id"] for item in late] == [world.access_policy, world.access_sops,
                                             world.wellbeing]
    assert late[0]["sros"][0]["cover"] == "Owen Side"  # away but covered: the cover is late
    assert payload["outstanding_count"] == 3

    with time_machine.travel(datetime(2024, 10, 15, 10, 0, tzinfo=LONDON), tick=False):
        report = round_status_report(any_engine, Q2)
    states = {d["title"][:6]: (d["state"], d["deadline"])
              for t in report.as_dict()["themes"] for d in t["deliverables"]}
    assert states == {"Review": ("away, covered", "2024-10-14"),
                      "Suppor": ("away, no cover", "2024-10-14"),
                      "Delive": ("late", "2024-10-14")}
    text = report.text()
    assert "Of those: 1 late, 3 away, 0 with an extended deadline." in text
    assert ("  - away, no cover: 1 Support the attainment of University Hospital Trust status "
            "(Bhanu Chadalavada (away until Fri 25 Oct 2024, no cover): Slack; James Mullins "
            "(away until Fri 18 Oct 2024, no cover): Slack)") in text
    assert "Sharon Murphy (away until Fri 18 Oct 2024, covered by Owen Side): Slack" in text
    assert report.as_dict()["absences"][0]["person"] == "bchadalavada"


def test_a_standing_delegate_still_submits_beside_the_cover(any_engine):
    world = build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider")
    open_on(any_engine, OPENS)
    with session_scope(any_engine, write=True) as s:
        mine = submit_update(s, actor_slack_id=DELEGATE, deliverable_id=world.access_policy,
                             period=Q2, rag=Rag.green, narrative="Drafted by the delegate.",
                             source=Source.modal, today=date(2024, 10, 1))
        theirs = submit_update(s, actor_slack_id=OUTSIDER, deliverable_id=world.access_policy,
                               period=Q2, rag=Rag.green, narrative="Signed off by the cover.",
                               source=Source.modal, today=date(2024, 10, 2))
        ids = (mine.update.id, theirs.update.id)
    with session_scope(any_engine) as s:
        behalf = {row.update_id for row in s.exec(select(UpdateOnBehalf)).all()}
    assert behalf == {ids[1]}  # the delegate's is their own, as before


def test_away_list_for_a_round_is_the_absences_from_its_opening_to_its_deadline(any_engine):
    build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 10, 7), date(2024, 10, 11), cover="outsider")
    away(any_engine, "jmullins", date(2024, 9, 2), date(2024, 9, 6))  # before Q2's round
    away(any_engine, "bchadalavada", date(2024, 10, 14), date(2024, 10, 14))  # deadline day
    ctx = AppContext(settings=load_settings(), engine=any_engine)
    # Not opened: the calendar's window, Mon 23 Sep to Mon 14 Oct.
    assert [a.person_key for a in list_away(ctx, Q2)] == ["smurphy", "bchadalavada"]
    open_on(any_engine, OPENS)
    assert [a.as_dict()["cover"] for a in list_away(ctx, Q2)] == ["outsider", None]
    assert list_away(ctx, Q2.next()) == []


def test_a_covers_form_shows_the_deliverables_theme_and_last_answer_like_the_sros(any_engine):
    world = build_world(any_engine)
    away(any_engine, "smurphy", date(2024, 9, 20), date(2024, 10, 4), cover="outsider")
    open_on(any_engine, OPENS)
    ctx = AppContext(settings=load_settings(), engine=any_engine,
                     clock=lambda: datetime(2024, 10, 1, 9, tzinfo=LONDON))
    target = Target(world.access_policy, Q2)

    cover, sro = update_form_for(ctx, OUTSIDER, target), update_form_for(ctx, SHARON, target)

    assert cover.refused is None and cover.facts is not None and sro.facts is not None
    assert cover.facts.theme == sro.facts.theme == "Great Outcomes"
    assert cover.facts.title == sro.facts.title
