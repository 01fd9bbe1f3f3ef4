"""``ragtime risks PERIOD [--framework NAME] [--json]``: every BAF risk of the period with its
owner, current and target score, band and direction (``bot.reports.risk_list``).

Registered from ``ragtime.cli``; parses, makes one ``bot`` call on an offline context and prints,
like every command there."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtime.cli_support import JsonFlag, PeriodArg, print_json, print_table
from ragtime.cli_support import period as _period

FrameworkOption = Annotated[str | None, typer.Option(
    "--framework", metavar="NAME",
    help="The framework's name (needed when the database holds several).")]


def risks(period: PeriodArg, framework: FrameworkOption = None,
          as_json: JsonFlag = False) -> None:
    """Every BAF risk: owner, current and target score, band, direction."""
    from bot.reports.risk_list import list_risks, risks_table
    from bot.settings import load_settings
    from ragtime.wiring import offline_context

    target = _period(period)
    ctx = offline_context(load_settings(), read_only=True)
    try:
        if as_json:
            print_json(list_risks(ctx.engine, target, framework=framework))
            return
        rows = risks_table(ctx.engine, target, framework=framework)
    finally:
        ctx.engine.dispose()
    print_table(f"BAF risks, {target.label}",
                ["BAF", "Risk", "Owner", "Current", "Target", "Band", "Direction"], rows,
                right=["Current", "Target"])
