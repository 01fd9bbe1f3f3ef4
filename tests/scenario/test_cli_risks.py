"""``ragtime risks PERIOD [--json]`` and ``ragtime export PERIOD --risks`` run as a person runs
them: against the seed's scores (which stay exactly as the seed has them) and against a BAF with
owners and four quarters of returns."""

from __future__ import annotations

import csv
import io
import json

import pytest

from storage.db import make_engine
from storage.migrate import upgrade
from tests.paths import EXAMPLE
from tests.support.baf_world import build_baf_world
from tests.support.cli import ragtime

SEED_SCORES = {"01": 20, "02": 9, "03": 12, "04": 20, "05": 12, "06": 20, "07": 12, "08": 9,
               "09": 12}
KEYS = ["number", "title", "theme", "owners", "likelihood", "consequence", "score", "target",
        "band", "direction", "submitted_at", "carried_from"]


def test_risks_json_against_the_seeds_scores(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    result = ragtime("risks", "2024/25", "Q2", "--json", env=env)
    assert result.returncode == 0, result.stderr
    risks = json.loads(result.stdout)
    assert [list(risk) for risk in risks] == [KEYS] * 9
    assert {risk["number"]: risk["score"] for risk in risks} == SEED_SCORES
    assert all(risk["owners"] == [] and risk["likelihood"] is None and risk["target"] is None
               and risk["direction"] is None and risk["submitted_at"] is None
               and risk["carried_from"] is None for risk in risks)
    assert [risk["band"] for risk in risks] == ["extreme", "high", "high", "extreme", "high",
                                                "extreme", "high", "high", "high"]
    assert risks[0]["theme"] == "Great Outcomes" and risks[0]["title"].startswith(
        "Without timely access to services")

    table = ragtime("risks", "Q2", "2024/25", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "BAF risks, 2024/25 Q2"
    assert lines[2].startswith("01   Without timely access") and "No owner recorded" in lines[2]
    assert lines[2].split()[-3:] == ["—", "Extreme", "—"]


@pytest.fixture
def baf_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'baf.db'}"
    engine = make_engine(url)
    upgrade(engine)
    build_baf_world(engine, tmp_path)
    engine.dispose()
    return {"DATABASE_URL": url}


def test_risks_json_with_returns_and_the_computed_direction(baf_database):
    result = ragtime("risks", "2025-26-Q1", "--json", env=baf_database)
    assert result.returncode == 0, result.stderr
    risks = {risk["number"]: risk for risk in json.loads(result.stdout)}
    assert {key: risks["01"][key] for key in KEYS if key not in ("title", "submitted_at")} == {
        "number": "01", "theme": "Great Outcomes", "owners": ["Sharon Murphy"],
        "likelihood": 4, "consequence": 5, "score": 20, "target": 12, "band": "extreme",
        "direction": "up", "carried_from": None}
    assert risks["01"]["submitted_at"] == "2025-07-07T09:00:00+00:00"
    assert (risks["02"]["score"], risks["02"]["direction"]) == (9, "same")
    assert (risks["03"]["score"], risks["03"]["direction"]) == (12, None)


def test_export_risks_as_json_and_csv(baf_database):
    result = ragtime("export", "2025/26", "Q1", "--risks", env=baf_database)
    assert result.returncode == 0, result.stderr
    rows = {row["number"]: row for row in json.loads(result.stdout)}
    first = rows["01"]
    assert (first["version"], first["submitted_by"], first["appetite"]) == (
        1, "Sharon Murphy", "cautious")
    assert first["assurances"] == [{"line": "second", "kind": "negative",
                                    "text": "Audit of waits: limited assurance"}]
    assert first["actions"][1] == {
        "text": "Review, update, revise and implement Trust Access Policy",
        "owner": "Sharon Murphy", "due": "2025-12-31", "deliverable": "GO-1"}
    assert rows["04"]["score"] == 20 and rows["04"]["version"] is None

    result = ragtime("export", "2025/26", "Q1", "--risks", "--format", "csv",
                     env=baf_database)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 9
    assert table[0]["owners"] == "Sharon Murphy"
    assert table[0]["actions"].splitlines() == [
        "Recruit two clinicians (Sharon Murphy) by 2025-10-31",
        "Review, update, revise and implement Trust Access Policy (Sharon Murphy) by "
        "2025-12-31 [GO-1]"]
    assert table[0]["assurances"] == "second, negative: Audit of waits: limited assurance"
