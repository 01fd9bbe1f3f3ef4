"""The Teams app package (``ragtime teams manifest``): ``manifest.json`` in the v1.19 schema and
its two icons, zipped as Teams Admin Center and "Upload a custom app" take it.

The package's id is the bot's app id (``RAGTIME_TEAMS_APP_ID``), so the "Add Ragtime in Teams"
link emailed to SROs (``https://teams.microsoft.com/l/app/<app id>``) opens this app. The bot
is offered in personal scope (each SRO's prompts) and in a team or group chat (the governance
channel), with its two commands, and needs no Graph permission.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.settings import Settings, SettingsError

SCHEMA = ("https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/"
          "MicrosoftTeams.schema.json")
MANIFEST_VERSION = "1.19"
COMMANDS = (
    {"title": "compile", "description": "Compile the draft board report and post it for "
                                        "decision, e.g. compile 2024/25 Q2 (governance leads)"},
    {"title": "status", "description": "Who has given their update, e.g. status 2024/25 Q2"},
    {"title": "away", "description": "Record an absence, e.g. away 6-17 Jan, cover Sarah "
                                     "Willis (or away cancel)"},
)
RAG = ((192, 57, 43), (230, 145, 56), (39, 174, 96))  # red, amber, green


def manifest(settings: Settings, *, version: str = "1.0.0", developer: str = "Ragtime",
             website: str | None = None) -> dict[str, Any]:
    """The manifest for this deployment (``SettingsError`` naming what is missing)."""
    if not settings.teams_app_id:
        raise SettingsError("missing setting(s): RAGTIME_TEAMS_APP_ID (the Azure Bot's "
                            "Microsoft App ID; see .env.example: 'Microsoft Teams')")
    website = (website or settings.public_url or "").rstrip("/")
    if not website.startswith("https://"):
        raise SettingsError("the Teams app package needs an https address for its developer "
                            "pages: set RAGTIME_PUBLIC_URL or pass --website")
    host = urlparse(website).hostname or ""
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": settings.teams_app_id,
        "developer": {"name": developer, "websiteUrl": website,
                      "privacyUrl": f"{website}/privacy", "termsOfUseUrl": f"{website}/terms"},
        "name": {"short": "Ragtime", "full": "Ragtime: quarterly RAG progress updates"},
        "description": {
            "short": "Your quarterly progress updates, asked for and collected in Teams.",
            "full": ("Ragtime asks each Senior Responsible Owner for a RAG rating and a short "
                     "narrative on their deliverables every quarter, chases the late ones and "
                     "compiles the draft board report for the governance team to approve."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005EB8",
        "bots": [{
            "botId": settings.teams_app_id,
            "scopes": ["personal", "team", "groupChat"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal", "team", "groupChat"],
                              "commands": list(COMMANDS)}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if host else [],
    }


def write_package(path: Path, settings: Settings, **options: Any) -> Path:
    """Write the zip (manifest.json, color.png 192×192, outline.png 32×32) to ``path``."""
    data = manifest(settings, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        package.writestr("color.png", _colour_icon())
        package.writestr("outline.png", _outline_icon())
    return path


def _colour_icon() -> bytes:
    """Three RAG discs on NHS blue, 192×192."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (192, 192), (0, 94, 184))
    draw = ImageDraw.Draw(image)
    for index, colour in enumerate(RAG):
        left = 18 + index * 56
        draw.ellipse((left, 68, left + 44, 112), fill=colour, outline=(255, 255, 255), width=3)
    return _png(image)


def _outline_icon() -> bytes:
    """The same three discs as white outlines on transparency, 32×32 (Teams' rule)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for index in range(3):
        left = 2 + index * 10
        draw.ellipse((left, 11, left + 8, 19), outline=(255, 255, 255, 255), width=1)
    return _png(image)


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
