"""Closing a strategy: the example ("Step Up To Great") beside its successor "THRIVE", served
over real HTTP against the fake Slack, with the scenario harness (``tests.scenario.conftest``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.framework.importer import import_framework
from storage.db import session_scope
from tests.scenario.conftest import Harness
from tests.support.served_app import ServedApp

THRIVE = "THRIVE"
# Sharon also leads THRIVE's access work; Paul its workforce work.
THRIVE_CSV = (
    "theme,area,deliverable,sro_name,sro_title,sro_email\n"
    "Responsive,Access,Single point of access for every service,Sharon Murphy,"
    "Director of Finance,sharon.murphy@example.nhs.uk\n"
    "Responsive,Access,Digital front door,Sharon Murphy,Director of Finance,"
    "sharon.murphy@example.nhs.uk\n"
    "Valuing our people,Workforce,Retention plan,Paul Sheldon,Chief People Officer,"
    "paul.sheldon@example.nhs.uk\n"
)


def load_thrive(served: ServedApp, folder: Path, text: str = THRIVE_CSV) -> None:
    path = folder / "thrive.csv"
    path.write_text(text, encoding="utf-8")
    with session_scope(served.ctx.engine, write=True) as session:
        import_framework(session, path, framework_name=THRIVE)


@pytest.fixture
def both(slack: Harness, tmp_path: Path) -> Harness:
    """The example and THRIVE loaded."""
    load_thrive(slack.served, tmp_path)
    return slack
