"""Back-pressure made visible: with no worker alive, what the serving process acknowledged
waits in the inbox — shown by ``/healthz`` and ``round status`` and told to governance once —
and a worker started later does it."""

from __future__ import annotations

import json
import urllib.request

from bot.collection.flows import round_status_text
from bot.messaging.health import watch
from tests.scenario.conftest import PAUL, Q3, Harness
from tests.support.served_app import start_worker


def _health(slack: Harness) -> dict:
    with urllib.request.urlopen(slack.served.url + "/healthz", timeout=5) as response:
        return json.loads(response.read())


def test_work_waits_for_a_worker_is_shown_and_told_once_then_done(opened: Harness):
    assert opened.served.worker is not None
    opened.served.worker.stop()
    prompt = opened.prompt(PAUL, 8)

    opened.reply(PAUL, "Green - the estates works are done", prompt.ts, wait=False)

    health = _health(opened)
    assert health["ok"] is True and health["worker"] == "none alive"
    assert health["inbox"]["pending"] == 1 and health["workers"]["alive"] == 0
    status = round_status_text(opened.ctx, Q3)
    assert "Waiting to be done or sent: 1 item(s) (1 received, 0 to send" in status
    assert "no worker alive" in status
    assert opened.latest(8) is None  # acknowledged, kept, not yet done

    posts = len(opened.fake.calls("chat.postMessage"))
    problem = watch(opened.ctx)
    again = watch(opened.ctx)
    told = [c for c in opened.fake.calls("chat.postMessage")[posts:]
            if c.params["channel"] == "C0GOVERN"]
    assert problem is not None and again == problem
    assert len(told) == 1 and "Ragtime needs attention" in told[0].params["text"]

    worker = start_worker(opened.served.ctx.settings, engine=opened.engine,
                          clock=opened.ctx.clock)
    try:
        opened.served.worker = worker
        opened.served.settle()
        opened.fake.wait_for("chat.postMessage", posts + 2)  # the confirmation in the thread
    finally:
        worker.stop()
        opened.served.worker = None
    latest = opened.latest(8)
    assert latest is not None and latest.narrative == "the estates works are done"
    assert watch(opened.ctx) is None
