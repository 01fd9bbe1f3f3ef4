"""``ragtime teams …``: the Microsoft Teams app package; with Microsoft Graph
(``RAGTIME_TEAMS_GRAPH=true``), adding Ragtime in Teams for the people it should reach."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.framework.people import Channels
from bot.framework.teams import add_in_teams
from bot.settings import load_settings
from ragtime.cli_support import print_text

teams_app = typer.Typer(help="Microsoft Teams: the app package; adding Ragtime for people "
                             "(with Graph).", no_args_is_help=True, rich_markup_mode=None)


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


@teams_app.command("install")
def teams_install(
    people: Annotated[list[str] | None, typer.Argument(
        metavar="[PERSON]...", help="Only these people (framework id or email); default: "
                                    "everyone Teams would reach who has not added Ragtime.")]
    = None,
) -> None:
    """Add Ragtime in Teams for people through Microsoft Graph (RAGTIME_TEAMS_GRAPH=true), so
    they are prompted there without adding it themselves.

    Opening a round (ragtime round open, the scheduler) already does this for the round's
    people; this command does it for everyone at once, or for the people named."""
    from handlers.teams.graph import TeamsGraph
    from ragtime.wiring import offline_context

    settings = load_settings()
    graph = TeamsGraph(settings)  # a SettingsError (Graph off, Teams not set up) is one line
    ctx = offline_context(settings, read_only=True)
    try:
        done = add_in_teams(ctx.engine, Channels.of(settings), graph.install_for,
                            only=people or (), actor="cli")
    finally:
        ctx.engine.dispose()
    if not done:
        print_text("Nobody to add: everyone Teams would reach has added Ragtime already.")
        return
    print_text("\n".join(f"{item.name} <{item.email}>: {item.outcome}" for item in done))
    print_text("Teams tells Ragtime of each installation; from then on they are prompted "
               "there.")
    if any(item.failed for item in done):
        raise typer.Exit(1)
