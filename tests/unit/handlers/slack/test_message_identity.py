"""A Slack message is its channel and ts; its ts says when it was written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.slack.message_identity import message_key, written_at


def test_the_key_is_the_message_not_the_event():
    assert message_key("D0SHARON", "1734685200.000100") == "message:D0SHARON:1734685200.000100"


@pytest.mark.parametrize(("ts", "when"), [
    ("1734685200.000100", datetime(2024, 12, 20, 9, 0, 0, 100, tzinfo=UTC)),
    ("1734685500.5", datetime(2024, 12, 20, 9, 5, 0, 500000, tzinfo=UTC)),
])
def test_the_ts_is_when_it_was_written(ts: str, when: datetime):
    assert written_at(ts) == when


@pytest.mark.parametrize("ts", [None, "", "soon", "1734685200", "1.2.3", 1734685200.0,
                                "9" * 40 + ".1", ["1734685200.000100"]])
def test_anything_else_has_no_written_time(ts):
    assert written_at(ts) is None
