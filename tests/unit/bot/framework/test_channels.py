"""A person's channel: ``channel:`` in YAML, ``sro_channel`` in spreadsheets (joint SROs split on
';'), stored on the person; ``reach_of`` turns it into how they are reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.framework.importer import FrameworkImportError, import_framework
from bot.framework.people import NOT_IN_TEAMS, Reach, reach_of
from storage.db import session_scope
from storage.models import Person
from tests.paths import DATA

YAML_TEXT = (DATA / "framework.yaml").read_text(encoding="utf-8")
BOB = "    email: bob.smith@example.nhs.uk\n"


def run_import(engine, path: Path) -> None:
    with session_scope(engine, write=True) as session:
        import_framework(session, path)


def channels(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {p.key: p.channel for p in session.exec(select(Person))}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_channel_is_stored_and_kept_when_a_later_file_leaves_it_out(any_engine, tmp_path):
    run_import(any_engine, write(tmp_path, "framework.yaml",
                                 YAML_TEXT.replace(BOB, BOB + "    channel: Email\n")))
    assert channels(any_engine) == {"ajones": "auto", "bsmith": "email", "cdavies": "auto"}

    run_import(any_engine, DATA / "framework.yaml")  # no channel: what is stored stays
    assert channels(any_engine)["bsmith"] == "email"
    run_import(any_engine, write(tmp_path, "framework.yaml",
                                 YAML_TEXT.replace(BOB, BOB + "    channel: auto\n")))
    assert channels(any_engine)["bsmith"] == "auto"


def test_an_unknown_yaml_channel_names_the_line_and_field(tmp_path):
    path = write(tmp_path, "framework.yaml",
                 YAML_TEXT.replace(BOB, BOB + "    channel: fax\n"))
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    line = YAML_TEXT[:YAML_TEXT.index(BOB)].count("\n") + 2
    assert str(caught.value).startswith(
        f"framework.yaml line {line}, people[1].channel: channel must be one of slack, teams, "
        "email, auto, not 'fax'")


def test_teams_is_a_channel_in_yaml(engine, tmp_path):
    run_import(engine, write(tmp_path, "framework.yaml",
                             YAML_TEXT.replace(BOB, BOB + "    channel: Teams\n")))
    assert channels(engine)["bsmith"] == "teams"


HEADER = "theme,area,deliverable,sro_name,sro_title,sro_email,sro_channel"


def test_csv_sro_channel_splits_like_the_other_sro_columns(engine, tmp_path):
    run_import(engine, write(tmp_path, "framework.csv", "\n".join([
        HEADER,
        "Great Care,Access,Review the access policy,Alice Jones; Bob Smith,Director; Medic,"
        "alice.jones@example.nhs.uk; bob.smith@example.nhs.uk,email;",
        "Great Care,Access,Update procedures,Bob Smith,Medic,bob.smith@example.nhs.uk,slack",
        "Great Care,Access,Map the pathways,Carol Davies,Nurse,carol.davies@example.nhs.uk,teams",
    ]) + "\n"))
    assert channels(engine) == {"alice.jones": "email", "bob.smith": "slack",
                                "carol.davies": "teams"}


@pytest.mark.parametrize(("row", "expected"), [
    ("Alice Jones; Bob Smith,D; M,alice.jones@example.nhs.uk; bob.smith@example.nhs.uk,email",
     "row 2, sro_channel: 2 SRO name(s) but 1 in sro_channel; separate joint SROs with ';' in "
     "each sro_ column"),
    ("Alice Jones,D,alice.jones@example.nhs.uk,pigeon",
     "row 2, sro_channel: channel must be one of slack, teams, email, auto, not 'pigeon'"),
])
def test_bad_csv_channels_name_the_row(tmp_path, row, expected):
    path = write(tmp_path, "framework.csv", f"{HEADER}\nGreat Care,Access,Review,{row}\n")
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"framework.csv {expected}")


NOT_FOUND = "no Slack user id: not found by email, so not prompted"


@pytest.mark.parametrize(("channel", "slack_id", "email", "enabled", "expected"), [
    ("auto", "U1", "a@x.nhs.uk", True, Reach("slack", "U1")),
    ("auto", None, "a@x.nhs.uk", True, Reach("email", "a@x.nhs.uk")),
    ("auto", None, "a@x.nhs.uk", False, Reach(None, problem=NOT_FOUND)),  # as before email
    (None, None, None, True, Reach(None, problem=NOT_FOUND)),
    ("email", "U1", "a@x.nhs.uk", False, Reach("email", "a@x.nhs.uk")),  # settings say why
    ("email", "U1", None, True, Reach(None, problem="channel is email but there is no email "
                                                     "address in the framework file")),
    ("slack", None, "a@x.nhs.uk", True, Reach(None, problem=NOT_FOUND)),
    ("slack", "U1", "a@x.nhs.uk", True, Reach("slack", "U1")),
])
def test_reach_of(channel, slack_id, email, enabled, expected):
    assert reach_of(channel=channel, slack_id=slack_id, email=email,
                    email_enabled=enabled) == expected


TEAMS_ID = "7f0c9a52-0000-4000-8000-000000000001"


@pytest.mark.parametrize(("channel", "slack_id", "teams_id", "order", "expected"), [
    ("auto", "U1", TEAMS_ID, ("slack", "teams", "email"), Reach("slack", "U1")),
    ("auto", None, TEAMS_ID, ("slack", "teams", "email"), Reach("teams", TEAMS_ID)),
    ("auto", "U1", TEAMS_ID, ("teams", "slack", "email"), Reach("teams", TEAMS_ID)),
    ("auto", None, None, ("slack", "teams", "email"), Reach("email", "a@x.nhs.uk")),
    ("auto", None, None, ("teams", "slack"), Reach(None, problem=NOT_IN_TEAMS)),
    ("teams", "U1", None, ("slack", "teams", "email"), Reach(None, problem=NOT_IN_TEAMS)),
    ("teams", "U1", TEAMS_ID, ("slack", "teams", "email"), Reach("teams", TEAMS_ID)),
    ("slack", None, TEAMS_ID, ("slack", "teams", "email"), Reach(None, problem=NOT_FOUND)),
])
def test_reach_of_teams_follows_the_channel_order(channel, slack_id, teams_id, order, expected):
    assert reach_of(channel=channel, slack_id=slack_id, email="a@x.nhs.uk", email_enabled=True,
                    teams_id=teams_id, order=order) == expected
