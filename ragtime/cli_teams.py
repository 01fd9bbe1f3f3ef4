"""``ragtime teams …``: the Microsoft Teams app package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.settings import load_settings

teams_app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True,
                        rich_markup_mode=None)


@teams_app.command("manifest")
def teams_manifest(
    out: Annotated[Path, typer.Option("--out", metavar="FILE",
                                      help="Where to write the zip.")] = Path("ragtime-teams.zip"),
    website: Annotated[str | None, typer.Option(
        metavar="URL", help="https address of the developer pages (default RAGTIME_PUBLIC_URL)."
    )] = None,
    developer: Annotated[str, typer.Option(metavar="NAME", help="Who publishes the app.")]
    = "Ragtime",
    version: Annotated[str, typer.Option(metavar="X.Y.Z", help="The package's version.")]
    = "1.0.0",
) -> None:
    """Write the Teams app package (manifest.json and icons) to upload in Teams."""
    from handlers.teams.manifest import write_package

    path = write_package(out, load_settings(), website=website, developer=developer,
                         version=version)  # a SettingsError is one line (ragtime.cli_support)
    typer.echo(f"Wrote {path}: upload it in Teams (Apps > Manage your apps > Upload an app) or "
               "give it to your Teams administrator.")
