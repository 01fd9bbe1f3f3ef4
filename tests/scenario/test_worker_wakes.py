"""A worker takes what its own process stored at once, not at its next poll (``storage.wakes``),
and stops at once: here a worker polling once a minute beside the app that acknowledges."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from bot.settings import Settings
from tests.fakeslack import FakeSlack
from tests.support.served_app import serve, start_worker, stop

A_MINUTE = 60.0


def test_work_stored_in_the_workers_own_process_is_done_at_once(
        slack_settings: Settings, fake_slack: FakeSlack, engine: Engine):
    served = serve(slack_settings, fake_slack, engine=engine, with_worker=False)
    worker = start_worker(slack_settings, engine=served.ctx.engine, poll=A_MINUTE)
    try:
        time.sleep(0.5)  # it has looked once, found nothing, and waits
        asked = time.monotonic()
        assert served.slack.open_home("U0SRO0001").status == 200
        fake_slack.wait_for("views.publish", timeout=10)
        assert time.monotonic() - asked < 5
    finally:
        stopping = time.monotonic()
        worker.stop()
        stopped_in = time.monotonic() - stopping
        stop(served)
    assert stopped_in < 5
