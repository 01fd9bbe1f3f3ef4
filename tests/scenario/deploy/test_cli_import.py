"""``ragtime import`` as an operator meets it: a one-row spreadsheet asks for --replace,
--dry-run shows and keeps nothing, a database folder that does not exist is not made."""

from __future__ import annotations

from pathlib import Path

from tests.paths import EXAMPLE
from tests.support.cli import one_error_line, ragtime

ONE_ROW = ("theme,area,deliverable,sro_name,sro_title,sro_email\n"
           "Great Care,Quality,Fewer falls on wards,Jo Bloggs,Director,jo@example.nhs.uk\n")


def test_a_one_row_csv_asks_for_replace_and_a_dry_run_shows_why(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    (tmp_path / "one.csv").write_text(ONE_ROW)
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0

    refused = ragtime("import", "one.csv", env=env, cwd=tmp_path)
    dry = ragtime("import", "one.csv", "--dry-run", env=env, cwd=tmp_path)
    still = ragtime("export", "2024/25 Q2", "--format", "csv", env=env, cwd=tmp_path)

    line = one_error_line(refused)
    assert "would take 17 of the 17 deliverables of 'Step Up To Great'" in line
    assert "--replace" in line
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("dry run of one.csv, nothing changed")
    assert "  + GC-5 Fewer falls on wards (new)" in dry.stdout
    assert "  - GO-1 Review, update, revise and implement Trust Access Policy" in dry.stdout
    assert "It would need --replace" in dry.stdout
    assert still.stdout.count("\n") == 18  # the header and all 17, still in the rounds
    replaced = ragtime("import", "one.csv", "--replace", env=env, cwd=tmp_path)
    assert replaced.returncode == 0 and "17 deactivated" in replaced.stdout


def test_a_dry_run_before_any_database_creates_none(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}

    dry = ragtime("import", str(EXAMPLE), "--dry-run", env=env, cwd=tmp_path)

    assert dry.returncode == 0, dry.stderr
    assert "would give: framework 'Step Up To Great' created" in dry.stdout
    assert not (tmp_path / "ragtime.db").exists()


def test_a_database_folder_that_does_not_exist_is_not_made(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'typo' / 'ragtime.db'}"}

    result = ragtime("import", str(EXAMPLE), env=env, cwd=tmp_path)

    line = one_error_line(result)
    assert "DATABASE_URL" in line and f"{tmp_path / 'typo'} does not exist" in line
    assert not (tmp_path / "typo").exists()


def test_import_updates_loads_earlier_quarters_once(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    (tmp_path / "q1.csv").write_text(
        "period,deliverable,rag,narrative\n2024/25 Q1,GO-1,amber,Policy drafted\n")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0

    first = ragtime("import-updates", "q1.csv", env=env, cwd=tmp_path)
    again = ragtime("import-updates", "q1.csv", env=env, cwd=tmp_path)
    exported = ragtime("export", "2024/25 Q1", "--format", "csv", env=env, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert "(2024/25 Q1: 1 stored, 0 already present)" in first.stdout
    assert "(2024/25 Q1: 0 stored, 1 already present)" in again.stdout
    assert '"GO-1",' in exported.stdout and '"amber","Policy drafted"' in exported.stdout


def test_import_updates_names_the_bad_row_in_one_line(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    (tmp_path / "q1.csv").write_text("period,deliverable,rag\n2024/25 Q1,GO-1,purple\n")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0

    line = one_error_line(ragtime("import-updates", "q1.csv", env=env, cwd=tmp_path))

    assert "q1.csv row 2, rag: 'purple' is not a RAG rating" in line
