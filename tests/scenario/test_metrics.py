"""``GET /metrics``: what an operator's Prometheus scrapes from ``ragtime serve``, after real
signed requests over HTTP: acks by kind and outcome with their latency, the queues, the sends
and retries the worker made, its heartbeat, and the database errors of a read-only database."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from storage.inbox_file import inbox_engine
from tests.scenario.conftest import JEAN, PAUL, SHARON, Harness
from tests.support.slack_requests import dm_message


def _scrape(slack: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(slack.served.url + "/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_show_acks_queues_sends_and_workers(opened: Harness):
    opened.answer_by_reply(PAUL, 8, "Green - the estates works are done")
    assert opened.served.slack.command("/report-status", user_id=SHARON).status == 200
    opened.answer_by_form(JEAN, 11, "green", "On track")
    opened.served.settle()

    samples = _scrape(opened)

    assert _value(samples, "ragtime_acks_total", kind="event", outcome="ok") >= 1
    assert _value(samples, "ragtime_acks_total", kind="command", outcome="ok") == 1
    assert _value(samples, "ragtime_acks_total", kind="block_actions", outcome="ok") == 1
    assert _value(samples, "ragtime_acks_total", kind="view_submission", outcome="ok") == 1
    submissions = _value(samples, "ragtime_ack_seconds_count", kind="view_submission")
    assert submissions == 1
    assert _value(samples, "ragtime_ack_seconds_bucket", kind="view_submission", le="+Inf") == 1
    assert 0 < _value(samples, "ragtime_ack_seconds_sum", kind="view_submission") < 3

    assert _value(samples, "ragtime_queue_depth", queue="inbox") == 0
    assert _value(samples, "ragtime_queue_depth", queue="outbox") == 0
    assert _value(samples, "ragtime_queue_oldest_age_seconds", queue="inbox") == 0
    # the round's prompts, the confirmations and the refreshed cards all went through Slack
    assert _value(samples, "ragtime_sends_total", channel="slack", outcome="sent") >= 15
    assert _value(samples, "ragtime_sends_total", channel="slack", outcome="failed") == 0
    assert _value(samples, "ragtime_retries_total", queue="outbox") == 0
    assert _value(samples, "ragtime_workers_alive") == 1
    [beat] = [v for (name, _), v in samples.items()
              if name == "ragtime_worker_last_beat_age_seconds"]
    assert 0 <= beat < 30
    assert _value(samples, "ragtime_database_failing") == 0
    assert _value(samples, "ragtime_database_errors_total", kind="read-only") == 0


def test_a_read_only_database_shows_in_metrics_first(opened: Harness):
    engines = (opened.engine, inbox_engine(opened.engine))  # the database and its inbox's file
    prompt = opened.prompt(PAUL, 8)

    def _read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA query_only=ON")

    for engine in engines:  # every new connection is read-only, as with files made immutable
        event.listen(engine, "connect", _read_only)
        engine.dispose()
    try:
        response = opened.served.slack.send(dm_message(
            "Amber - one week late", user=PAUL, channel=opened.fake.dm_channel_for(PAUL),
            ts="1900000001.000001", thread_ts=prompt.ts))
        assert response.status == 503  # not stored: Slack will send it again
        samples = _scrape(opened)
        assert _value(samples, "ragtime_database_errors_total", kind="read-only") >= 1
        assert _value(samples, "ragtime_database_failing") == 1
        assert _value(samples, "ragtime_acks_total", kind="event", outcome="failed") == 1
    finally:
        for engine in engines:
            event.remove(engine, "connect", _read_only)
            engine.dispose()
