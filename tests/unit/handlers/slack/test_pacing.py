"""The pacer: free until Slack says 429, then even spacing at the rate Slack accepted."""

import itertools

from handlers.slack.pacing import MARGIN, RELAX_AFTER, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_calls_are_not_paced_until_slack_limits_them():
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    for _ in range(100):
        pacer.wait_turn("chat.postMessage")
        pacer.accepted("chat.postMessage")
    assert clock.slept == []


def test_after_a_429_calls_wait_for_retry_after_then_go_at_the_accepted_rate():
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    for _ in range(50):  # 50 accepted within the last second, then refused
        pacer.accepted("chat.postMessage")
        clock.now += 0.01
    pacer.limited("chat.postMessage", retry_after=1.0)
    started = clock.now

    times = []
    for _ in range(100):
        pacer.wait_turn("chat.postMessage")
        times.append(clock.now)
        pacer.accepted("chat.postMessage")

    assert times[0] == started + 1.0  # Retry-After honoured
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(times)}
    assert gaps == {round(MARGIN / 50, 6)}  # 50 a second, a little slower
    in_any_second = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    assert in_any_second <= 50
    pacer.wait_turn("users.lookupByEmail")  # other methods are not held back
    assert clock.now == times[-1]


def test_pacing_stops_a_while_after_the_last_429():
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    pacer.accepted("chat.postMessage")
    pacer.limited("chat.postMessage", retry_after=1.0)
    clock.now += RELAX_AFTER + 1
    slept = len(clock.slept)
    for _ in range(10):
        pacer.wait_turn("chat.postMessage")
    assert len(clock.slept) == slept
