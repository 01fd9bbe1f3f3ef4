"""The email round benchmark still runs end to end (small: the real one is 1,000 SROs)."""

from __future__ import annotations

from benchmarks.bench_email_round import main, run


def test_an_email_round_loses_and_duplicates_nothing() -> None:
    result = run(sros=12)
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.floor > 0 and result.seconds > 0


def test_the_command_line_reports_the_ratio(capsys) -> None:
    assert main(["--sros", "3"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out and "lost                     0" in out
