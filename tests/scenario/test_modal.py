"""The update form: opened fast, pre-filled, validated at entry, versioned, frozen periods."""

from __future__ import annotations

import json

from sqlalchemy import event

from bot.collection.rounds import freeze_round
from bot.collection.values import Rag
from storage.db import session_scope
from tests.scenario.conftest import (
    BHANU,
    Q3,
    SHARON,
    Harness,
    blocks_text,
    input_block,
)
from tests.support.served_app import start_worker, waiting_for_worker
from tests.support.slack_requests import button


def test_the_button_opens_a_loading_view_first_then_the_form(opened: Harness):
    form = opened.open_form(SHARON, 1)

    opening = opened.fake.calls("views.open")[-1]
    loading = opening.json_param("view")
    assert not [b for b in loading["blocks"] if b["type"] == "input"]  # nothing to wait for
    assert opened.fake.calls("views.update")[-1].params["view_id"] == opening.response["view"]["id"]
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == [
        "rag", "narrative", "recovery_action", "recovery_date", "change_reason"]
    assert json.loads(form["private_metadata"])["d"] == 1
    assert len(form["title"]["text"]) <= 24


def test_the_form_starts_from_last_quarters_rating(opened: Harness):
    form = opened.open_form(BHANU, 7)  # Amber in 2024/25 Q2

    rag = input_block(form, "rag")["element"]
    assert rag["initial_option"]["value"] == "amber"
    assert [o["value"] for o in rag["options"]] == ["red", "amber", "green"]
    narrative = input_block(form, "narrative")["element"]
    assert narrative["multiline"] and narrative["max_length"] == 3000
    assert "Last quarter: :large_orange_circle: Amber" in blocks_text(form["blocks"])


def test_rules_are_checked_at_entry_and_shown_beside_the_fields(opened: Harness):
    form = opened.open_form(SHARON, 1)  # Green last quarter

    response = opened.submit(SHARON, form, rag="amber", narrative="Slipping.")

    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"recovery_action", "recovery_date", "change_reason"}
    assert "Green last quarter to Amber" in answer["errors"]["change_reason"]
    assert opened.latest(1) is None


def test_missing_rating_and_narrative_and_a_past_date_are_errors(opened: Harness):
    form = opened.open_form(SHARON, 2)

    answer = opened.submit(SHARON, form, narrative="", recovery_date="2024-01-31").json()

    assert answer["response_action"] == "errors"
    assert {"rag", "narrative", "recovery_date"} <= set(answer["errors"])
    assert "in the past" in answer["errors"]["recovery_date"]
    assert opened.latest(2) is None


def test_a_valid_submission_is_stored_confirmed_and_shown_on_the_prompt(opened: Harness):
    response = opened.answer_by_form(
        SHARON, 4, "amber", "Framework delayed by the new reporting tool.",
        recovery_action="Interim monthly reviews", recovery_date="2025-03-31",
        change_reason="Tool delayed")

    assert response.body == ""  # the modal closes
    update = opened.latest(4)
    assert (update.rag, update.version, update.submitted_by_slack_id) == ("amber", 1, SHARON)
    assert str(update.recovery_date) == "2025-03-31"
    prompt = opened.prompt(SHARON, 4)
    assert "Received" in prompt.text and "Framework delayed" in prompt.text
    confirmation = opened.thread(prompt.channel, prompt.ts)[-1]
    assert "Thank you: recorded" in blocks_text(confirmation["blocks"])


def test_resubmitting_before_the_deadline_makes_a_new_version(opened: Harness):
    opened.answer_by_form(SHARON, 1, "green", "First thoughts.")

    form = opened.open_form(SHARON, 1)
    assert input_block(form, "narrative")["element"]["initial_value"] == "First thoughts."
    assert "Saving makes version 2" in blocks_text(form["blocks"])
    with opened.follow_up(1):
        assert opened.submit(SHARON, form, rag="green", narrative="Final words.").body == ""

    assert [(u.version, u.narrative) for u in opened.versions(1)] == [
        (1, "First thoughts."), (2, "Final words.")]
    assert "Final words." in opened.prompt(SHARON, 1).text


def test_a_frozen_period_says_so_and_stores_nothing(opened: Harness):
    form = opened.open_form(SHARON, 1)
    with session_scope(opened.engine, write=True) as session:
        freeze_round(session, Q3, by="U0LEAD")

    answer = opened.submit(SHARON, form, rag="green", narrative="Too late?")

    assert (answer.status, answer.body) == (200, "")  # kept; the worker finds it frozen
    [told] = opened.not_saved(SHARON)
    assert told.startswith("Your update for *GO-1 Review, update, revise and implement Trust "
                           "Access Policy* (2024/25 Q3) was not saved.")
    assert "can no longer be changed" in told and "> Too late?" in told
    assert opened.latest(1) is None
    again = opened.open_form(SHARON, 2)
    assert "closed for changes" in blocks_text(again["blocks"])
    assert not [b for b in again["blocks"] if b["type"] == "input"]


def test_an_expired_trigger_asks_to_press_the_button_again(opened: Harness):
    prompt = opened.prompt(SHARON, 1)
    opened.fake.fail_next("views.open", error="expired_trigger_id")
    posts = len(opened.fake.calls("chat.postMessage"))

    opened.served.slack.click([button("open_update", prompt.value)], user_id=SHARON,
                              channel_id=prompt.channel, message_ts=prompt.ts)

    told = opened.fake.wait_for("chat.postMessage", posts + 1)[posts]
    assert told.params["channel"] == SHARON and "press the button again" in told.params["text"]


def test_a_form_is_acknowledged_once_kept_and_stored_by_the_worker(opened: Harness):
    """Nothing on the ack's path reads or writes the database: the form's rules are checked from
    what it carries, and the request is kept in the inbox. The worker stores it and confirms,
    even one that was away when the form was acknowledged."""
    form = opened.open_form(SHARON, 1)
    assert opened.served.worker is not None
    opened.served.worker.stop()  # the worker away for a while
    asked: list[str] = []
    listen = lambda *args: asked.append(args[2])  # noqa: E731 (before_cursor_execute)
    event.listen(opened.engine, "before_cursor_execute", listen)
    try:
        broken = opened.submit(SHARON, form, rag="amber", narrative="Slipping.", wait=False)
        answer = opened.submit(SHARON, form, rag="green", narrative="Kept first.", wait=False)
    finally:
        event.remove(opened.engine, "before_cursor_execute", listen)

    assert broken.json()["response_action"] == "errors"  # Amber needs a recovery action
    assert "recovery_action" in broken.json()["errors"]
    assert (answer.status, answer.body) == (200, "")
    assert [sql for sql in asked if not sql.startswith("PRAGMA")] == []
    assert opened.latest(1) is None
    assert waiting_for_worker(opened.engine) == {"inbox": 1}

    posted = len(opened.fake.calls("chat.postMessage"))
    worker = start_worker(opened.ctx.settings, engine=opened.engine, clock=opened.ctx.clock)
    try:
        opened.served.settle()
    finally:
        worker.stop()
    stored = opened.latest(1)
    assert stored is not None and (stored.rag, stored.narrative) == (Rag.green, "Kept first.")
    confirmations = [call.params.get("text") or "" for call in
                     opened.fake.calls("chat.postMessage")[posted:]
                     if call.params.get("channel") == opened.fake.dm_channel_for(SHARON)]
    assert any("Green" in text for text in confirmations), confirmations


def test_a_form_filled_before_its_rules_travelled_with_it_is_still_checked(opened: Harness):
    form = opened.open_form(SHARON, 1)
    old_style = json.dumps({"d": 1, "p": Q3.slug})  # as an earlier version wrote it

    answer = opened.submit(SHARON, form, rag="red", narrative="Stuck.", metadata=old_style)

    assert answer.json()["response_action"] == "errors"
    assert "recovery_action" in answer.json()["errors"]
    assert opened.latest(1) is None
