"""Absences where people meet them in Slack, on SQLite and PostgreSQL (the Q3 round open, the
clock at Fri 20 Dec 2024): a cover named for someone away today is prompted at once, sees the
absent SRO's deliverables on their Home tab and submits them through the form; a governance
lead's Home tab and ``/report-status`` say "away until …, covered by …" or "no cover" apart
from the rest."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

from sqlmodel import select

from bot.collection.away import record_away
from bot.collection.status import round_status_report
from bot.framework.absences import absences_between
from handlers.slack.blocks.away import AWAY_OPEN
from storage.db import session_scope
from storage.models import UpdateOnBehalf
from tests.scenario.conftest import (
    JEAN,
    LEAD,
    PAUL,
    Q3,
    SARAH,
    SHARON,
    Harness,
    blocks_text,
    elements,
)
from tests.support.slack_requests import (
    block_actions,
    button,
    event_callback,
    input_value,
    view_submission,
)


def _home(slack: Harness, user: str) -> dict:
    """``user``'s Home tab as published after they open it (other tabs may be refreshed
    meanwhile: after a submission, say)."""
    before = len(slack.fake.calls("views.publish"))
    assert slack.served.slack.open_home(user).status == 200
    for count in range(before + 1, before + 5):
        calls = slack.fake.wait_for("views.publish", count)
        if any(call.params.get("user_id") == user for call in calls[before:]):
            return slack.fake.homes[user]
    raise AssertionError(f"{user}'s Home tab was not published")


def test_a_cover_is_prompted_sees_and_submits_and_a_lead_sees_who_is_away(
    on_each_database: Harness,
):
    slack = on_each_database
    sarah_before = len(slack.prompts(SARAH))
    recorded = record_away(slack.ctx, person="smurphy", starts=date(2024, 12, 16),
                           ends=date(2025, 1, 10), cover="sarah.willis@example.nhs.uk",
                           by="U0LEAD", source="slack")
    record_away(slack.ctx, person="jknight", starts=date(2024, 12, 19), ends=date(2025, 1, 3),
                by="U0LEAD")
    slack.served.settle()
    assert recorded.prompts == 4
    covering = [p for p in slack.prompts(SARAH)[sarah_before:]]
    assert len(covering) == 4
    assert ("You are covering for Sharon Murphy, away until Fri 10 Jan 2025: please submit "
            "this update on their behalf.") in covering[0].text

    # Sarah's Home tab lists Sharon's deliverables beside her own, marked as cover.
    home = blocks_text(_home(slack, SARAH)["blocks"])
    assert home.count("Covering for Sharon Murphy while they are away") == 4
    assert "8 of 8 still to report" in home
    button = next(e for e in elements(_home(slack, SARAH)["blocks"])
                  if e.get("type") == "button" and json.loads(e["value"])["d"] == 1)
    form = slack.click(SARAH, button["value"], view={"id": "home", "type": "home"})
    with slack.follow_up(1):
        response = slack.submit(SARAH, form, rag="green", narrative="Policy adopted.")
        assert response.status == 200 and response.body == ""
    with session_scope(slack.engine) as session:
        assert [row.on_behalf_of_id for row in session.exec(select(UpdateOnBehalf)).all()]

    # The lead's Home tab and /report-status tell away apart from late.
    lead_home = blocks_text(_home(slack, LEAD)["blocks"])
    assert "Sharon Murphy (away until Fri 10 Jan 2025, covered by Sarah Willis)" in lead_home
    assert "Jean Knight (away until Fri 3 Jan 2025, no cover)" in lead_home
    before = len(slack.fake.calls("response_url"))
    assert slack.served.slack.command("/report-status", "", user_id=LEAD,
                                      response_url=slack.fake.response_url()).status == 200
    said = slack.fake.wait_for("response_url", before + 1)[before].params
    status = said["text"] + blocks_text(said.get("blocks") or [])
    assert "Jean Knight (away until Fri 3 Jan 2025, no cover)" in status


def _said(slack: Harness, user: str) -> str:
    """The last message Ragtime posted to ``user``'s DM, as the fake Slack recorded it."""
    slack.served.settle()  # the worker has answered (and sent any notice) by now
    channels = {user, slack.fake.dm_channel_for(user)}
    call = [c for c in slack.fake.calls("chat.postMessage") if c.params["channel"] in channels][-1]
    return json.dumps(call.params, ensure_ascii=False)


def test_people_record_their_absence_by_dm_and_a_lead_for_anyone(on_each_database: Harness):
    slack = on_each_database
    slack.reply(SHARON, "away 23 Dec – 3 Jan, cover Sarah Willis", None, event_id="Ev1")
    said = _said(slack, SHARON)
    assert ("Recorded: You are away Mon 23 Dec 2024 – Fri 3 Jan 2025, covered by Sarah "
            "Willis. Ragtime will not chase you meanwhile.") in said
    slack.served.settle()
    assert "You are covering for Sharon Murphy" in _said(slack, SARAH)
    assert ("You are recorded away Mon 23 Dec 2024 – Fri 3 Jan 2025, covered by Sarah Willis"
            in blocks_text(_home(slack, SHARON)["blocks"]))
    # Slack's retry of the same message is answered once.
    posts = len(slack.fake.calls("chat.postMessage"))
    slack.reply(SHARON, "away 23 Dec – 3 Jan, cover Sarah Willis", None, event_id="Ev1",
                retry_num=1, wait=False)
    slack.served.settle()
    assert len(slack.fake.calls("chat.postMessage")) == posts

    slack.reply(SHARON, "away soon", None)
    assert "I could not read the dates" in _said(slack, SHARON)
    slack.reply(SHARON, "away 27 Dec – 30 Dec", None)
    assert "already recorded away Mon 23 Dec 2024" in _said(slack, SHARON)
    slack.reply(PAUL, "away for Jean Knight 23 Dec – 3 Jan", None)
    assert "Only a governance lead may record someone else" in _said(slack, PAUL)
    slack.reply(LEAD, "away for Jean Knight 23 Dec – 3 Jan, note Surgery", None)
    assert "Recorded: Jean Knight is away Mon 23 Dec 2024 – Fri 3 Jan 2025, no cover" in \
        _said(slack, LEAD)
    slack.reply(SHARON, "away cancel", None)
    assert "Cancelled: you were recorded away Mon 23 Dec 2024" in _said(slack, SHARON)
    with session_scope(slack.engine) as session:
        assert [a.person_key for a in absences_between(session)] == ["jknight"]


def _open_absence_form(slack: Harness, user: str) -> dict:
    """Press *Record an absence* on ``user``'s Home tab; the modal Slack was asked to open."""
    home = _home(slack, user)
    press = next(e for e in elements(home["blocks"]) if e.get("action_id") == AWAY_OPEN)
    opened = len(slack.fake.calls("views.open"))
    assert slack.served.slack.send(block_actions(
        [button(AWAY_OPEN, press["value"])], user_id=user, view={"id": home["id"],
                                                                "type": "home"})).status == 200
    call = slack.fake.wait_for("views.open", opened + 1)[opened]
    return call.response["view"]


def _submit_absence(slack: Harness, user: str, form: dict, *, starts: str | None,
                    ends: str | None, cover: str | None = None, person: str | None = None,
                    note: str = "") -> dict:
    values = {
        "starts": {"value": {"type": "datepicker", "selected_date": starts}},
        "ends": {"value": {"type": "datepicker", "selected_date": ends}},
        "cover": {"value": {"type": "users_select", "selected_user": cover}},
        "person": {"value": {"type": "users_select", "selected_user": person}},
        "note": {"value": input_value(note)},
    }
    response = slack.served.slack.send(view_submission(
        form["callback_id"], values, user_id=user, view_id=form["id"], view_hash=form["hash"],
        blocks=form["blocks"]))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def test_the_home_tab_button_opens_a_form_that_records_an_absence(on_each_database: Harness):
    slack = on_each_database
    form = _open_absence_form(slack, SHARON)
    assert form["callback_id"] == "away_modal"
    labels = [block["label"]["text"] for block in form["blocks"]]
    assert labels == ["First day away", "Last day away", "Who covers",
                      "Note for the governance team", "Who is away"]

    # Dates are checked beside the fields, before anything is stored.
    refused = _submit_absence(slack, SHARON, form, starts="2025-01-03", ends="2024-12-23")
    assert refused == {"response_action": "errors",
                       "errors": {"ends": "The last day is before the first."}}

    assert _submit_absence(slack, SHARON, form, starts="2024-12-23", ends="2025-01-03",
                           cover=SARAH, note="Christmas <!channel>") == {}
    said = _said(slack, SHARON)
    assert "Recorded: You are away Mon 23 Dec 2024 – Fri 3 Jan 2025, covered by Sarah" in said
    with session_scope(slack.engine) as session:
        [absence] = absences_between(session)
    assert (absence.person_key, absence.cover_key, absence.note, absence.source) == (
        "smurphy", "swillis", "Christmas <!channel>", "slack")

    # Someone else's absence: only a governance lead.
    form = _open_absence_form(slack, PAUL)
    _submit_absence(slack, PAUL, form, starts="2024-12-23", ends="2024-12-24", person=JEAN)
    assert "Only a governance lead may record someone else" in _said(slack, PAUL)
    form = _open_absence_form(slack, LEAD)
    _submit_absence(slack, LEAD, form, starts="2024-12-23", ends="2024-12-24", person=JEAN)
    assert "Recorded: Jean Knight is away Mon 23 Dec 2024 – Tue 24 Dec 2024, no cover" in \
        _said(slack, LEAD)


def _status_changed(slack: Harness, user: str, *, emoji: str = "", text: str = "",
                    expiration: int = 0) -> None:
    """Slack tells Ragtime a user's profile changed (``user_change``), signed as Slack signs."""
    event = {"type": "user_change", "event_ts": f"{time.time():.6f}",
             "user": {"id": user, "name": user.lower(), "profile": {
                 "status_emoji": emoji, "status_text": text, "status_expiration": expiration,
                 "real_name": user}}}
    assert slack.served.slack.send(event_callback(event)).status == 200
    slack.served.settle()


def _questions(slack: Harness, user: str) -> list[dict]:
    return [c.params for c in slack.fake.calls("chat.postMessage")
            if c.params["channel"] == user and "status says you are away"
            in c.params.get("text", "")]


def test_an_away_status_is_a_question_asked_once_never_an_absence(on_each_database: Harness):
    slack = on_each_database
    until = int(datetime(2025, 1, 3, 18, 0, tzinfo=UTC).timestamp())
    _status_changed(slack, SHARON, emoji=":palm_tree:", text="Annual leave", expiration=until)
    [asked] = _questions(slack, SHARON)
    text = json.dumps(asked, ensure_ascii=False)
    assert "Your Slack status says you are away (:palm_tree: Annual leave, until Fri 3 Jan 2025)" \
        in text
    assert "away 20 Dec–3 Jan" in text and '"action_id": "away_open"' in text
    with session_scope(slack.engine) as session:
        assert absences_between(session) == []  # asked, not guessed

    # Asked once: the same status again, or another away-looking change, asks nothing more.
    _status_changed(slack, SHARON, emoji=":palm_tree:", text="Annual leave", expiration=until)
    _status_changed(slack, SHARON, emoji=":airplane:", text="Out of office", expiration=until)
    assert len(_questions(slack, SHARON)) == 1
    # A busy status, Do Not Disturb's kind of thing, is not absence.
    _status_changed(slack, PAUL, emoji=":no_entry:", text="In meetings all day")
    _status_changed(slack, PAUL, emoji=":spiral_calendar_pad:", text="Focus time")
    assert _questions(slack, PAUL) == []
    # Someone already recorded away is not asked.
    record_away(slack.ctx, person="jknight", starts=date(2024, 12, 19), ends=date(2025, 1, 3),
                by="test")
    _status_changed(slack, JEAN, text="On leave", expiration=until)
    assert _questions(slack, JEAN) == []
    # The question's button opens the absence form.
    form = slack.fake.calls("views.open")
    before = len(form)
    assert slack.served.slack.send(block_actions(
        [button(AWAY_OPEN, "away")], user_id=SHARON)).status == 200
    assert slack.fake.wait_for("views.open", before + 1)[before].response["view"][
        "callback_id"] == "away_modal"


def test_a_lead_extends_a_deadline_by_dm(on_each_database: Harness):
    slack = on_each_database
    slack.reply(PAUL, "extend Paul Sheldon to 24 Jan 2025", None)
    assert "Only a governance lead may extend a deadline." in _said(slack, PAUL)
    slack.reply(LEAD, "extend Paul Sheldon to 10 Jan 2025", None)
    assert "The 2024/25 Q3 deadline is already Wed 15 Jan 2025" in _said(slack, LEAD)
    slack.reply(LEAD, "extend Paul Sheldon to 24 Jan", None)  # the round being collected
    assert ("2024/25 Q3: Paul Sheldon now has until Fri 24 Jan 2025. Their reminders and "
            "escalation follow the new date.") in _said(slack, LEAD)
    slack.reply(LEAD, "extend 2024/25 Q3 GC-4 to 31 Jan 2025", None)
    assert "GC-4 To ensure the organisation has appropriate emergency" in _said(slack, LEAD)
    status = round_status_report(slack.ctx, Q3).as_dict()
    assert [(e["name"], e["deliverable"], e["until"]) for e in status["extensions"]] == [
        ("Paul Sheldon", None, "2025-01-24"), (None, "GC-4", "2025-01-31")]
