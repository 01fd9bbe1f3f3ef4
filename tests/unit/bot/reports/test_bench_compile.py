"""The compile benchmark still runs (tiny sizes; the real run is ``python -m
benchmarks.bench_compile``)."""

from benchmarks.bench_compile import main


def test_benchmark_runs_and_query_counts_match(capsys):
    assert main(["--small", "4", "--large", "8"]) == 0
    out = capsys.readouterr().out
    assert "SQL queries per compile: 9 (4 deliverables), 9 (8)" in out
    assert "writing PDF" in out and "vs linear" in out
