"""The compile benchmark still runs (tiny sizes; the real run is ``python -m
benchmarks.bench_compile``)."""

from benchmarks.bench_compile import main


def test_benchmark_runs_and_query_counts_match(capsys):
    assert main(["--small", "4", "--large", "8"]) == 0
    out = capsys.readouterr().out
    assert "SQL queries per compile: 17 (4 deliverables), 17 (8)" in out  # BAF, extensions, carried
    assert "writing PDF" in out and "vs linear" in out


def test_against_another_checkout_prints_both_pdf_times_and_their_ratio(capsys):
    from benchmarks.bench_compile import HERE

    assert main(["--small", "2", "--large", "3", "--against", str(HERE), "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "round 1: before PDF of 3 deliverables" in out
    assert "round 1: after  PDF of 3 deliverables" in out
    assert "median of 1: before" in out and "ratio " in out
