"""Replies in a prompt's DM thread: recorded, confirmed, or answered with what is missing."""

from __future__ import annotations

import json

import pytest

from tests.scenario.conftest import (
    BHANU,
    JAMES,
    SHARON,
    Harness,
    blocks_text,
    button_of,
    input_block,
)
from tests.support.slack_requests import event_callback


@pytest.mark.parametrize(("text", "rag", "narrative"), [
    ("Green - policy adopted", "green", "policy adopted"),
    ("G: policy adopted", "green", "policy adopted"),
    (":large_green_circle: done", "green", "done"),
])
def test_replies_in_the_styles_sros_write_are_recorded(
    opened: Harness, text: str, rag: str, narrative: str
):
    answer = opened.answer_by_reply(SHARON, 1, text)

    update = opened.latest(1)
    assert (update.rag, update.narrative, update.source) == (rag, narrative, "thread")
    assert "Thank you: recorded" in blocks_text(answer["blocks"])


def test_a_reply_without_a_rating_asks_for_one_with_buttons_that_open_the_form(
    opened: Harness
):
    prompt = opened.prompt(SHARON, 1)

    opened.reply(SHARON, "Policy went to the board on Tuesday", prompt.ts)

    asked = opened.thread(prompt.channel, prompt.ts)[-1]
    assert "could not find a RAG rating" in blocks_text(asked["blocks"])
    assert opened.latest(1) is None
    amber = button_of(asked, "open_update:amber")
    form = opened.click(SHARON, amber["value"], action_id="open_update:amber",
                        channel=prompt.channel, ts=asked["ts"])
    assert input_block(form, "rag")["element"]["initial_option"]["value"] == "amber"
    assert input_block(form, "narrative")["element"]["initial_value"] == (
        "Policy went to the board on Tuesday")
    assert json.loads(form["private_metadata"])["t"] == prompt.ts


def test_a_reply_missing_what_the_rules_need_asks_for_exactly_that(opened: Harness):
    prompt = opened.prompt(SHARON, 1)  # Green last quarter

    opened.reply(SHARON, "Amber - delayed by estates works", prompt.ts)

    asked = blocks_text(opened.thread(prompt.channel, prompt.ts)[-1]["blocks"])
    assert "needs a recovery action" in asked and "expected recovery date" in asked
    assert "give a reason for the change" in asked
    assert "`Recovery:" in asked and "`By:" in asked and "`Reason:" in asked
    assert opened.latest(1) is None
    with opened.follow_up(1):
        opened.reply(SHARON, "Amber - delayed by estates works\nRecovery: new contractor\n"
                     "By: 31/03/2025\nReason: estates delay", prompt.ts, wait=False)
    update = opened.latest(1)
    assert (update.rag, update.recovery_action, update.change_reason) == (
        "amber", "new contractor", "estates delay")


def test_a_rating_alone_asks_for_the_narrative(opened: Harness):
    prompt = opened.prompt(SHARON, 2)

    opened.reply(SHARON, "Green", prompt.ts)

    asked = blocks_text(opened.thread(prompt.channel, prompt.ts)[-1]["blocks"])
    assert "Write a short narrative" in asked and opened.latest(2) is None


def test_a_dm_outside_a_prompt_thread_gets_help(opened: Harness):
    opened.reply(SHARON, "hello?", None)

    said = opened.fake.calls("chat.postMessage")[-1]
    assert said.params["channel"] == opened.fake.dm_channel_for(SHARON)
    assert "thread_ts" not in said.params
    assert "reply in the thread" in blocks_text(said.json_param("blocks"))


def test_a_reply_in_a_thread_that_is_not_a_prompt_says_where_to_reply(opened: Harness):
    opened.reply(SHARON, "hello?", None)
    help_ts = opened.fake.calls("chat.postMessage")[-1].response["ts"]

    opened.reply(SHARON, "Green - done", help_ts)

    said = opened.fake.calls("chat.postMessage")[-1]
    assert said.params["thread_ts"] == help_ts
    assert "prompt message" in said.params["text"]
    assert all(opened.latest(d) is None for d in (1, 2, 3, 4))


@pytest.mark.parametrize("event", [
    {"subtype": "message_changed", "message": {"text": "Green - edited"}},
    {"subtype": "message_deleted"},
    {"bot_id": "B0OTHER", "user": "U0OTHERBOT"},
    {"channel_type": "channel"},
])
def test_edits_deletions_bots_and_channels_are_acknowledged_and_ignored(
    opened: Harness, event: dict
):
    prompt = opened.prompt(SHARON, 1)
    body = {"type": "message", "channel": prompt.channel, "user": SHARON,
            "text": "Green - x", "ts": "1800000000.000001", "thread_ts": prompt.ts,
            "channel_type": "im", **event}

    posts = len(opened.fake.calls("chat.postMessage"))

    assert opened.served.slack.send(event_callback(body)).status == 200

    opened.fake.assert_no_call("chat.update", within=0.3)
    assert len(opened.fake.calls("chat.postMessage")) == posts and opened.latest(1) is None


def test_everything_an_sro_wrote_is_escaped_wherever_it_is_reposted(opened: Harness):
    # As Slack sends it: real mentions and links arrive as <...>, typed < > & arrive encoded.
    text = ("Green - done <!channel> <!here> <@U0BOSS> <https://evil.example|click here> "
            "and &lt;!channel&gt; typed &amp; more")

    opened.answer_by_reply(BHANU, 5, text)

    stored = opened.latest(5).narrative
    assert "<!channel>" in stored and "& more" in stored  # kept as written...
    reposted = [c for c in opened.fake.calls() if c.method in ("chat.postMessage", "chat.update")
                and c.params.get("channel") in ("D0BHANU", "D0JAMES")]
    assert len(reposted) >= 4  # confirmation, two prompts updated, James told
    for call in reposted:
        shown = json.dumps(call.json_param("blocks")) + call.params["text"]
        for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<https://"):
            assert raw not in shown, call.method  # ...and shown, never acted on
    james = opened.prompt(JAMES, 5)
    assert "&lt;!channel&gt;" in james.text and "click here (https://evil.example)" in james.text


def test_a_reply_to_any_message_about_one_deliverable_is_recorded(opened: Harness):
    """E.g. a re-prompt after a governance lead asked for changes (another module's kind)."""
    from bot.messaging.outbox import deliver_pending, record_message
    from handlers.slack.blocks.text import Message
    from handlers.slack.outbox import Outgoing, make_outbox_sender, register_renderer
    from storage.db import session_scope

    register_renderer("reprompt_test", lambda ctx, m: [
        Outgoing.of(m.payload["to"], Message("Please revise your update."))])
    with session_scope(opened.engine, write=True) as session:
        record_message(session, key="reprompt:1", kind="reprompt_test", deliverable_id=1,
                       payload={"to": SHARON, "period": "2024/25 Q3"})
    deliver_pending(opened.engine, make_outbox_sender(opened.ctx), kinds={"reprompt_test"})
    reprompt = opened.fake.calls("chat.postMessage")[-1].response

    with opened.follow_up(1):
        opened.reply(SHARON, "Green - revised as asked", reprompt["ts"], wait=False)

    assert opened.latest(1).narrative == "revised as asked"
    thread = opened.thread(reprompt["channel"], reprompt["ts"])
    assert thread[-1]["text"].startswith("Recorded Green")
