"""The load benchmarks still run end to end (tiny sizes; the figures are not judged here)."""

from __future__ import annotations

import pytest

from benchmarks import bench_ack_latency, bench_memory

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("socket", [False, True], ids=["http", "socket-mode"])
def test_the_ack_latency_benchmark_times_both_servers_and_loses_nothing(socket: bool):
    result = bench_ack_latency.run(clients=3, seconds=2.0, think=0.3, per_sro=1, compile_every=0,
                                   socket=socket, latency=0.05)

    assert result.floor.summary().count > 0 and result.ragtime.summary().count > 0
    assert result.durable.summary().count > 0
    assert {s.kind for s in result.ragtime.recorder.samples} >= {"click", "submit", "reply"}
    assert result.ragtime.failures == 0
    assert sum(result.stored.accepted.values()) > 0
    assert result.stored.lost == [] and result.stored.duplicated == []
    assert result.drain.seconds < 60  # the worker finished what waited when the clients stopped


def test_the_overload_mode_never_waits_for_the_worker_and_loses_nothing():
    """No pause; forms opened by earlier clicks are submitted later; the durable floor stored
    each of its requests as a row."""
    # Long enough for the worker to fill some opened forms on a machine busy with the suite.
    result = bench_ack_latency.run(clients=3, seconds=5.0, per_sro=2, overload=True, latency=0.05)

    for phase in (result.floor, result.durable, result.ragtime):
        kinds = {s.kind for s in phase.recorder.samples}
        assert kinds >= {"click", "submit", "reply", "status"}, (phase.name, kinds)
        assert "compile" not in kinds
    assert result.ragtime.failures == 0
    assert sum(result.stored.accepted.values()) > 0
    assert result.stored.lost == [] and result.stored.duplicated == []


def test_the_memory_benchmark_reads_the_server_and_worker_memory():
    result = bench_memory.run(sros=20, submissions=4, settle=0.5)

    assert result.problems == []
    assert 0 < result.baseline.rss < result.idle.server.rss
    assert 0 < result.baseline.rss < result.idle.worker.rss
    assert result.idle.server.peak <= result.after_round.server.peak
