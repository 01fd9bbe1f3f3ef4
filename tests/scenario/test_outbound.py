"""The outbox sender: reminders, escalations, notices, Slack refusals, custom renderers."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.collection.flows import remind_outstanding, round_status_text
from bot.collection.reminders import record_escalation
from bot.collection.rounds import RoundError
from bot.messaging.outbox import deliver_pending, failed_messages, record_message
from handlers.slack.blocks.text import Message
from handlers.slack.outbox import Outgoing, make_outbox_sender, register_renderer
from handlers.slack.ports import slack_ports
from storage.db import session_scope
from storage.models import OutboxStatus
from tests.scenario.conftest import (
    DAVID,
    LEAD,
    PAUL,
    Q3,
    SARAH,
    SHARON,
    Harness,
    blocks_text,
)
from tests.support.served_app import settings_for


def _posts_to(slack: Harness, channel: str, since: int = 0) -> list:
    return [c for c in slack.fake.calls("chat.postMessage")[since:]
            if c.params["channel"] == channel]


def test_reminders_list_only_whats_outstanding_once_a_day(opened: Harness):
    for deliverable in (1, 2, 3, 4):
        opened.answer_by_form(SHARON, deliverable, "green", "Done.")
    opened.answer_by_form(SARAH, 12, "green", "Done.")
    posts = len(opened.fake.calls("chat.postMessage"))

    summary = remind_outstanding(opened.ctx, Q3)

    assert summary.reminders_recorded == 5 and summary.delivery.sent == 5  # Bhanu..Sarah
    assert not _posts_to(opened, SHARON, posts)
    sarahs = _posts_to(opened, SARAH, posts)[0]
    ids = [json.loads(b["accessory"]["value"])["d"]
           for b in sarahs.json_param("blocks") if b.get("accessory")]
    assert ids == [13, 14, 15]
    assert "Wed 15 Jan 2025" in sarahs.params["text"]
    again = remind_outstanding(opened.ctx, Q3)
    assert again.reminders_recorded == 0 and again.delivery.sent == 0


def test_reminding_before_the_round_is_opened_says_so(slack: Harness):
    with pytest.raises(RoundError, match="open it first"):
        remind_outstanding(slack.ctx, Q3)


def test_the_escalation_goes_to_the_governance_channel_by_theme(opened: Harness):
    with session_scope(opened.engine, write=True) as session:
        record_escalation(session, Q3)
    posts = len(opened.fake.calls("chat.postMessage"))

    report = deliver_pending(opened.engine, make_outbox_sender(opened.ctx), kinds={"escalation"})

    assert report.sent == 1
    escalation = _posts_to(opened, "C0GOVERN", posts)[0]
    shown = blocks_text(escalation.json_param("blocks"))
    assert "17 update(s) outstanding" in shown
    assert "*Great Place to Work* (4 outstanding)" in shown and "Sarah Willis" in shown


def test_a_prompt_slack_refuses_is_failed_and_reported_to_governance(slack: Harness):
    slack.fake.set_channel_error(PAUL, "user_not_found")

    summary = slack.open_round()

    assert summary.delivery.failed == 3 and summary.delivery.sent == 15
    assert [p.who for p in summary.undelivered] == ["Paul Sheldon"] * 3
    assert "user_not_found" in summary.undelivered[0].what
    notice = blocks_text(_posts_to(slack, "C0GOVERN")[0].json_param("blocks"))
    assert "Paul Sheldon" in notice and "David Williams" in notice
    assert "Paul Sheldon: prompt not delivered" in str(summary)
    assert "3 prompt(s)/reminder(s) could not be delivered" in round_status_text(slack.engine, Q3)


def test_a_transient_slack_failure_leaves_the_prompt_to_retry(slack: Harness):
    slack.fake.fail_next("chat.postMessage", error="fatal_error")

    summary = slack.open_round()

    assert summary.delivery.skipped == 1 and summary.delivery.sent == 17
    retried = deliver_pending(slack.engine, make_outbox_sender(slack.ctx), kinds={"prompt"})
    assert retried.sent == 1
    assert sum(len(slack.prompts(user)) for user in (SHARON, PAUL, SARAH)) == 11


def test_without_a_governance_channel_the_leads_are_told_by_dm(slack: Harness):
    settings = settings_for(slack.fake, "sqlite://", governance_channel=None,
                            governance_leads_raw=LEAD)
    ctx = dataclasses.replace(slack.ctx, settings=settings)
    ctx.ports = slack_ports(ctx)  # the Slack side reads these settings too
    from bot.collection.flows import open_round_and_prompt

    summary = open_round_and_prompt(ctx, Q3, opened_by=LEAD)

    assert summary.governance_told
    assert "David Williams" in blocks_text(_posts_to(slack, LEAD)[0].json_param("blocks"))


def test_other_modules_add_renderers_for_their_own_kinds(slack: Harness):
    def changes_requested(ctx, message):  # type: ignore[no-untyped-def]
        return [Outgoing.of(message.payload["to"], Message("Please revise your update."))]

    register_renderer("changes_requested_test", changes_requested)
    with session_scope(slack.engine, write=True) as session:
        record_message(session, key="cr:1", kind="changes_requested_test",
                       payload={"to": SHARON})
        record_message(session, key="odd:1", kind="no_such_kind", payload={"to": SHARON})

    report = deliver_pending(slack.engine, make_outbox_sender(slack.ctx))

    assert (report.sent, report.failed) == (1, 1)
    assert _posts_to(slack, SHARON)[0].params["text"] == "Please revise your update."
    with session_scope(slack.engine) as session:
        failed = failed_messages(session)
    assert [(m.kind, m.status) for m in failed] == [("no_such_kind", OutboxStatus.failed)]
    assert "no renderer for outbox messages of kind 'no_such_kind'" in failed[0].last_error


def test_status_as_text_for_the_terminal(opened: Harness):
    opened.answer_by_form(PAUL, 8, "green", "Done.")

    text = round_status_text(opened.engine, Q3)

    assert text.startswith("Step Up To Great — 2024/25 Q3: round open, deadline Wed 15 Jan 2025")
    assert "1 of 17 deliverables answered, 16 outstanding." in text
    assert "Great Care: 1 of 4 answered" in text
    assert "outstanding: 16 Review the current work" not in text  # numbers restart per area
    assert "(David Williams: not reached)" in text and DAVID not in text  # no email set up


def test_opening_again_retries_the_prompts_slack_refused(slack: Harness):
    slack.fake.set_channel_error(PAUL, "user_not_found")
    assert slack.open_round().delivery.failed == 3
    del slack.fake.channel_errors[PAUL]  # e.g. the account was reactivated

    again = slack.open_round()

    assert (again.delivery.sent, again.delivery.failed) == (3, 0)
    assert len(slack.prompts(PAUL)) == 3
    assert [p.who for p in again.problems] == ["David Williams, Executive Director of Strategy "
                                               "and Partnerships"]


def test_a_second_attempt_finds_the_prompt_slack_already_accepted(opened):
    """A prompt Slack accepted but whose 'sent' mark was lost (a kill, a timeout) is found by
    its delivery tag in the DM's history on the next attempt, not posted twice."""
    from datetime import timedelta

    from sqlmodel import select

    from bot.messaging.outbox import deliver_pending
    from handlers.slack.outbox import make_outbox_sender
    from storage.db import session_scope
    from storage.models import OutboxMessage, OutboxStatus

    with session_scope(opened.engine, write=True) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "prompt",
                                                       OutboxMessage.status == "sent")).first()
        ts, channel = row.ts, row.channel
        # As if the process died after Slack accepted it: still 'sending', lease long gone.
        row.status, row.ts, row.channel = OutboxStatus.sending, None, None
        row.claimed_at = row.claimed_at - timedelta(hours=1)
        session.add(row)
    before = len(opened.fake.calls("chat.postMessage"))

    report = deliver_pending(opened.engine, make_outbox_sender(opened.ctx),
                             kinds={"prompt"}, clock=opened.ctx.now)

    assert report.sent == 1
    assert len(opened.fake.calls("chat.postMessage")) == before  # nothing posted again
    with session_scope(opened.engine) as session:
        again = session.get(OutboxMessage, row.id)
        assert (again.status, again.channel, again.ts) == (OutboxStatus.sent, channel, ts)
