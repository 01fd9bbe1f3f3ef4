"""Slack misbehaving on a fifth of all Web API calls: 429 (Retry-After), 500, 503 and requests
that are never answered, chosen at random (the fake Slack's ``fail_rate``, reproducible by seed).

A faulted call has no effect at the fake, so a message posted twice would show up as two. Checked:
every SRO is prompted exactly once per deliverable, every submission (modal or thread reply) is
stored exactly once, and what cannot be delivered at all is recorded and told to the governance
channel.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from sqlmodel import select

from bot.messaging.outbox import failed_messages
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import (
    BHANU,
    IN_SLACK,
    JAMES,
    JEAN,
    OWNED,
    PAUL,
    SARAH,
    SHARON,
    Harness,
    blocks_text,
)

pytestmark = pytest.mark.slow

FAULTS = ("429", "500", "503", "timeout")
GOVERNANCE = "C0GOVERN"
REASON = "funding confirmed"  # some were Amber last quarter: a change needs a reason


def faulty(fake: FakeSlack, seed: int) -> None:
    """A fifth of every call fails; unanswered ones hang up after 0.3 s."""
    fake.fail_rate(0.2, FAULTS, seed=seed, timeout_seconds=0.3, retry_after=0)


def prompts_by_person(slack: Harness) -> dict[str, Counter[int]]:
    """How many prompt messages reached each person, per deliverable."""
    return {user: Counter(json.loads(p.value)["d"] for p in slack.prompts(user))
            for user in IN_SLACK}


def deliver_the_rest(slack: Harness, attempts: int = 5) -> None:
    """What a lead (or the scheduler's minute job) does while prompts are left to retry."""
    for _ in range(attempts):
        summary = slack.summary
        if summary is None or not summary.delivery.skipped:
            return
        slack.summary = slack.open_round()


def test_fan_out_prompts_every_sro_once_and_reports_who_cannot_be_reached(slack: Harness):
    slack.fake.set_channel_error(PAUL, "user_disabled")  # Slack refuses Paul's DM for good
    faulty(slack.fake, seed=1)

    slack.summary = slack.open_round()
    deliver_the_rest(slack)

    reached = {user: dict(counts) for user, counts in prompts_by_person(slack).items() if counts}
    expected = {user: dict.fromkeys(owned, 1) for user, owned in OWNED.items()
                if user in IN_SLACK and user != PAUL}
    assert reached == expected  # exactly one prompt per SRO and deliverable, nobody else
    assert slack.fake.attempts("chat.postMessage") != slack.fake.calls("chat.postMessage")

    # Paul (refused) and David (not in Slack) are recorded and told to the governance channel.
    with session_scope(slack.engine) as session:
        failed = failed_messages(session, kinds=("prompt",))
        assert {row.payload["to"] for row in failed} == {PAUL}
        assert len(failed) == len(OWNED[PAUL])
    assert slack.summary is not None and slack.summary.governance_told
    told = " ".join(blocks_text(m.get("blocks") or []) for m in slack.fake.messages_in(GOVERNANCE))
    assert "Paul Sheldon" in told and "David Williams" in told


@pytest.mark.parametrize("seed", [3, 4])
def test_submissions_are_stored_once_while_slack_fails(opened: Harness, seed: int):
    faulty(opened.fake, seed)
    narratives = {}
    for n, (user, deliverable) in enumerate([(SHARON, 1), (BHANU, 5), (SARAH, 12), (JEAN, 11),
                                             (JAMES, 6)]):
        form = open_form_like_a_person(opened, user, deliverable)
        narratives[deliverable] = f"Submitted through a flaky Slack, number {n}"
        response = opened.submit(user, form, rag="green", narrative=narratives[deliverable],
                                 change_reason=REASON)
        assert response.status == 200 and response.body == ""
        # A double click sends the same form again: still one version.
        again = opened.submit(user, form, rag="green", narrative=narratives[deliverable],
                              change_reason=REASON)
        assert again.status == 200
    for n, (user, deliverable) in enumerate([(SHARON, 2), (PAUL, 8), (SARAH, 13)]):
        prompt = opened.prompt(user, deliverable)
        narratives[deliverable] = f"Replied through a flaky Slack, number {n}"
        event = f"EvFLAKY{seed}{n:04d}"
        text = f"Green - {narratives[deliverable]}\nReason: {REASON}"
        opened.reply(user, text, prompt.ts, event_id=event, wait=False)
        # Slack retries the event (as if it never saw our answer): handled once.
        opened.reply(user, text, prompt.ts, event_id=event, retry_num=1, wait=False)

    wait_until(lambda: all(opened.versions(d) for d in narratives),
               lambda: [d for d in narratives if not opened.versions(d)])
    time.sleep(0.5)  # anything still being handled would show up as a second version
    stored = {d: [u.narrative for u in opened.versions(d)] for d in narratives}
    assert stored == {d: [text] for d, text in narratives.items()}


def open_form_like_a_person(slack: Harness, user: str, deliverable: int) -> dict:
    """Click the prompt's button; if no form opens (Slack failed even after the retries), the
    person sees the error and clicks again."""
    prompt = slack.prompt(user, deliverable)
    for _ in range(3):
        try:
            return slack.click(user, prompt.value, channel=prompt.channel, ts=prompt.ts)
        except AssertionError:
            continue
    raise AssertionError(f"no form opened for {user} after three clicks")


def wait_until(condition, explain, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {explain()}")
        time.sleep(0.1)


def test_when_even_the_governance_channel_fails_the_lead_who_opened_is_told(slack: Harness):
    """Paul's DM is refused and the governance channel is archived: the failures are recorded
    (outbox rows failed, with Slack's error) and the summary the opener sees says so."""
    slack.fake.set_channel_error(PAUL, "user_disabled")
    slack.fake.set_channel_error(GOVERNANCE, "is_archived")

    slack.summary = slack.open_round()

    summary = slack.summary
    assert summary is not None and not summary.governance_told
    text = str(summary)
    assert "Paul Sheldon" in text and "user_disabled" in text
    assert "the notice to them could not be posted" in text
    with session_scope(slack.engine) as session:
        notices = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
    assert [(n.status, n.last_error) for n in notices] == [
        (OutboxStatus.failed,
         f"Slack chat.postMessage failed: is_archived (HTTP 200) (to {GOVERNANCE})")]
