"""Duplicate deliveries: Slack's event retries and double submits store once and reply once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.scenario.conftest import SHARON, Harness
from tests.support.slack_requests import dm_message


def _confirmations(slack: Harness, channel: str, ts: str) -> list[dict]:
    return [m for m in slack.thread(channel, ts) if m["text"].startswith("Recorded")]


def test_an_event_retry_after_success_makes_no_second_write_or_reply(opened: Harness):
    prompt = opened.prompt(SHARON, 1)
    with opened.follow_up(1):
        opened.reply(SHARON, "Green - adopted", prompt.ts, event_id="Ev0RETRY01", wait=False)
    posts = len(opened.fake.calls("chat.postMessage"))

    for attempt in (1, 2):  # Slack retries immediately, then after 1 and 5 minutes
        opened.reply(SHARON, "Green - adopted", prompt.ts, event_id="Ev0RETRY01",
                     retry_num=attempt, wait=False)

    time.sleep(0.3)  # let any stray listener run
    assert len(opened.fake.calls("chat.postMessage")) == posts
    assert len(opened.versions(1)) == 1
    assert len(_confirmations(opened, prompt.channel, prompt.ts)) == 1


def test_a_retry_whose_first_delivery_never_arrived_is_handled(opened: Harness):
    prompt = opened.prompt(SHARON, 1)

    with opened.follow_up(1):
        opened.reply(SHARON, "Green - adopted", prompt.ts, event_id="Ev0LOST01", retry_num=1,
                     wait=False)

    assert len(opened.versions(1)) == 1
    assert len(_confirmations(opened, prompt.channel, prompt.ts)) == 1


def test_a_reply_whose_confirmation_slack_refused_is_confirmed_once_on_the_workers_retry(
        opened: Harness):
    prompt = opened.prompt(SHARON, 1)
    opened.fake.fail_next("chat.postMessage", error="fatal_error")  # Slack unwell: no reply
    posts = len(opened.fake.calls("chat.postMessage"))

    with opened.follow_up(1):
        opened.reply(SHARON, "Green - adopted", prompt.ts, event_id="Ev0FAILED1", wait=False)
        # Slack redelivers it too (as if it had not seen the 200): one message, stored once.
        opened.reply(SHARON, "Green - adopted", prompt.ts, event_id="Ev0FAILED1",
                     retry_num=1, wait=False)
        opened.served.settle(timeout=15)  # the worker tries again after RETRY_AFTER

    assert len(opened.versions(1)) == 1
    assert len(_confirmations(opened, prompt.channel, prompt.ts)) == 1
    told = [c.params["text"] for c in opened.fake.calls("chat.postMessage")[posts:]]
    assert not [text for text in told if "something went wrong" in text]  # nobody was alarmed


def test_an_event_delivered_twice_at_once_is_handled_once(opened: Harness):
    prompt = opened.prompt(SHARON, 1)
    request = dm_message("Green - adopted", user=SHARON, channel=prompt.channel, ts="1900000001.1",
                         thread_ts=prompt.ts, event_id="Ev0TWICE01")

    with opened.follow_up(1), ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: opened.served.slack.send(
            request, retry_num=n or None).status, range(4)))

    assert statuses == [200] * 4
    time.sleep(0.3)  # let any stray listener run
    assert len(opened.versions(1)) == 1
    assert len(_confirmations(opened, prompt.channel, prompt.ts)) == 1


def test_a_double_submit_stores_one_version_and_confirms_once(opened: Harness):
    form = opened.open_form(SHARON, 1)
    with opened.follow_up(1), ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _n: opened.submit(
            SHARON, form, rag="green", narrative="Adopted."), range(2)))
    assert [r.status for r in responses] == [200, 200]
    opened.submit(SHARON, form, rag="green", narrative="Adopted.")  # and a late third click

    time.sleep(0.3)  # let any stray listener run
    assert len(opened.versions(1)) == 1
    prompt = opened.prompt(SHARON, 1)
    assert len(_confirmations(opened, prompt.channel, prompt.ts)) == 1


def test_duplicates_are_handled_once_on_each_database(on_each_database: Harness):
    slack = on_each_database
    prompt = slack.prompt(SHARON, 1)
    request = dm_message("Green - adopted", user=SHARON, channel=prompt.channel,
                         ts="1900000002.1", thread_ts=prompt.ts, event_id="Ev0EACHDB1")
    with slack.follow_up(1), ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: slack.served.slack.send(request, retry_num=n or None), range(4)))
    form = slack.open_form(SHARON, 2)
    with slack.follow_up(2), ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _n: slack.submit(SHARON, form, rag="green", narrative="SOPs."),
                      range(3)))

    time.sleep(0.3)
    assert [len(slack.versions(d)) for d in (1, 2)] == [1, 1]
    for deliverable in (1, 2):
        thread = slack.prompt(SHARON, deliverable)
        assert len(_confirmations(slack, thread.channel, thread.ts)) == 1
    assert slack.processed() == [f"message:{prompt.channel}:1900000002.1"]
