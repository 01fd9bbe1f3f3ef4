"""Sending at the pace Slack allows, learned from its 429s, so a fan-out runs at the rate floor.

Slack answers 429 with ``Retry-After`` when a method is called too often. Honouring it and then
sending as fast as possible again (slack_sdk's way) hits the limit every second and sleeps a
whole ``Retry-After`` each time: a 2,000-prompt fan-out took 1.25× its rate floor. After a 429
the ``Pacer`` knows how many calls of that method Slack accepted in the second before, and
spaces the next ones evenly at that rate (a little slower), shared by every thread of the
process; after ``RELAX_AFTER`` seconds without a 429 it sends freely again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW = 1.0  # seconds over which accepted calls are counted
MARGIN = 1.02  # space calls this much wider than the rate Slack accepted
RELAX_AFTER = 60.0  # seconds without a 429 before pacing stops


class Pacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._accepted: dict[str, deque[float]] = {}
        self._interval: dict[str, float] = {}
        self._next_slot: dict[str, float] = {}
        self._limited_at: dict[str, float] = {}

    def wait_turn(self, method: str) -> None:
        """Before calling ``method``: wait for its next slot while it is being paced."""
        with self._lock:
            now = self._clock()
            interval = self._interval.get(method)
            if interval is None:
                return
            if now - self._limited_at[method] > RELAX_AFTER:
                del self._interval[method]
                return
            slot = max(now, self._next_slot.get(method, now))
            self._next_slot[method] = slot + interval
        if slot > now:
            self._sleep(slot - now)

    def accepted(self, method: str) -> None:
        """``method`` was answered (not a 429)."""
        with self._lock:
            now = self._clock()
            calls = self._accepted.setdefault(method, deque())
            calls.append(now)
            while calls and now - calls[0] > WINDOW:
                calls.popleft()

    def limited(self, method: str, retry_after: float) -> None:
        """Slack answered 429: pace ``method`` at the rate it accepted, from ``retry_after``."""
        with self._lock:
            now = self._clock()
            calls = self._accepted.get(method, deque())
            recent = sum(1 for at in calls if now - at <= WINDOW)
            self._interval[method] = MARGIN * WINDOW / max(recent, 1)
            self._limited_at[method] = now
            self._next_slot[method] = max(self._next_slot.get(method, now), now + retry_after)
