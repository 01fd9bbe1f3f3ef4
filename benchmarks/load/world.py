"""A generated framework of N SROs, imported into a fresh database as ``ragtime import`` does.

SRO ``n`` has Slack id ``U0B{n:07d}`` and owns ``per_sro`` deliverables spread over four themes;
governance leads (``U0LEAD{n:03d}``) own none. The round is for the period containing today, so
whatever the app takes for "this quarter" is the round being answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.calendar.periods import Period
from bot.framework.importer import import_framework
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

THEMES = ("Great Outcomes", "Great Care", "Great Place to Work", "Great Health")
AREAS = ("Access", "Workforce", "Research", "Estates", "Digital")


@dataclass(frozen=True)
class World:
    sros: tuple[str, ...]  # Slack user ids
    leads: tuple[str, ...]
    per_sro: int
    period: Period

    @property
    def deliverables(self) -> int:
        return len(self.sros) * self.per_sro

    def email(self, user_id: str) -> str:
        return f"{user_id.lower()}@example.nhs.uk"

    @property
    def users(self) -> list[tuple[str, str]]:
        return [(user, self.email(user)) for user in (*self.sros, *self.leads)]


def sro_id(n: int) -> str:
    return f"U0B{n:07d}"


def lead_id(n: int) -> str:
    return f"U0LEAD{n:03d}"


def framework_document(sros: int, per_sro: int) -> dict:
    people = [{"id": f"sro{n}", "name": f"SRO {n}", "title": "Director",
               "email": f"{sro_id(n).lower()}@example.nhs.uk", "slack_id": sro_id(n)}
              for n in range(sros)]
    themes: dict[str, list[dict]] = {name: [] for name in THEMES}
    for n in range(sros):
        for k in range(per_sro):
            number = n * per_sro + k
            theme = THEMES[number % len(THEMES)]
            themes[theme].append({
                "ref": f"d{number}", "number": str(number + 1),
                "area": AREAS[number % len(AREAS)],
                "title": f"Deliverable {number + 1}: improve the service for every community",
                "sro": f"sro{n}",
            })
    return {
        "name": "Load benchmark strategy", "organisation": "Benchmark NHS Trust",
        "people": people,
        "themes": [{"name": name, "ambition": f"{name} for everyone", "objectives": [],
                    "deliverables": items} for name, items in themes.items() if items],
    }


def build_world(database_url: str, folder: Path, *, sros: int, per_sro: int = 1,
                leads: int = 1) -> World:
    """Migrate the database and import the framework; returns who is who."""
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(framework_document(sros, per_sro), sort_keys=False),
                    encoding="utf-8")
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with session_scope(engine, write=True) as session:
            import_framework(session, path)
    finally:
        engine.dispose()
    today = datetime.now(ZoneInfo("Europe/London")).date()
    return World(sros=tuple(sro_id(n) for n in range(sros)),
                 leads=tuple(lead_id(n) for n in range(leads)), per_sro=per_sro,
                 period=Period.containing(today))
