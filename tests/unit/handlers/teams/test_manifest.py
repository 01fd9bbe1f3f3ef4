"""``ragtime teams manifest``: the Teams app package a trust uploads, from the settings."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from PIL import Image

from tests.faketeams import APP_ID
from tests.support.cli import ragtime

ENV = {"RAGTIME_TEAMS_APP_ID": APP_ID, "RAGTIME_PUBLIC_URL": "https://ragtime.example.nhs.uk"}


def test_the_package_holds_the_manifest_and_icons(tmp_path: Path):
    out = tmp_path / "ragtime-teams.zip"
    result = ragtime("teams", "manifest", "--out", str(out), env=ENV, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = Image.open(io.BytesIO(package.read("color.png")))
        outline = Image.open(io.BytesIO(package.read("outline.png")))
    assert manifest["manifestVersion"] == "1.19" and "v1.19" in manifest["$schema"]
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    commands = bot["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == ["compile", "status", "away"]
    assert all(len(c["description"]) <= 128 for c in commands)  # the schema's limit
    assert manifest["developer"]["websiteUrl"] == "https://ragtime.example.nhs.uk"
    assert manifest["validDomains"] == ["ragtime.example.nhs.uk"]
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert color.size == (192, 192)
    assert outline.size == (32, 32) and outline.mode == "RGBA"
    # Teams' rule for the outline icon: white on transparent only.
    colours = outline.getcolors(32 * 32) or []
    assert {pixel[:3] for _count, pixel in colours if pixel[3]} == {(255, 255, 255)}


def test_without_an_app_id_it_says_which_setting(tmp_path: Path):
    result = ragtime("teams", "manifest", env={}, cwd=tmp_path)
    assert result.returncode != 0
    assert "RAGTIME_TEAMS_APP_ID" in result.stderr
    assert not (tmp_path / "ragtime-teams.zip").exists()


def test_without_an_https_address_it_asks_for_one(tmp_path: Path):
    result = ragtime("teams", "manifest", env={"RAGTIME_TEAMS_APP_ID": APP_ID}, cwd=tmp_path)
    assert result.returncode != 0 and "--website" in result.stderr
