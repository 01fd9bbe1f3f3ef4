"""The fan-out benchmark still runs end to end (small: the real one is 2,000 prompts)."""

from __future__ import annotations

from benchmarks.bench_fanout import main, run


def test_a_rate_limited_fan_out_loses_and_duplicates_nothing() -> None:
    result = run(sros=35, rate=30)
    assert result.rate_limited >= 1  # the limit was really hit
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.seconds >= 1.0  # 35 prompts cannot pass a 30/s limit in under a second


def test_the_command_line_reports_the_ratio(capsys) -> None:
    assert main(["--sros", "5", "--rate", "50"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out and "lost                     0" in out
