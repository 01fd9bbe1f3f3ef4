"""``ragtime compile`` without ``--post``: a report's files written to a folder, posted nowhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.calendar.periods import Period
from bot.framework.choice import choose_framework
from bot.ports.reports import Target
from bot.reports.compile import FORMATS, CompiledFiles, Progress, compile_closure, compile_report
from bot.reports.targets import resolve_target
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext


def write_report(
    ctx: AppContext,
    target: Target | Period | str | None,
    out_dir: Path,
    *,
    closure: bool = False,
    formats: Iterable[str] = FORMATS,
    cover_overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    framework: str | None = None,
) -> CompiledFiles:
    """The report ``target`` names (``bot.reports.targets.resolve_target``: a quarter, or with
    ``closure`` a year end) written into ``out_dir``, in a read-only unit of work, for the
    framework called ``framework`` (else the only one; see ``bot.framework.choice``)."""
    resolved = resolve_target(ctx, target, closure=closure)
    with session_scope(ctx.engine) as session:
        framework_id = choose_framework(session, framework).id
        if resolved.period is not None:
            return compile_report(session, resolved.period, out_dir, formats=formats,
                                  cover_overrides=cover_overrides, progress=progress,
                                  framework_id=framework_id)
        return compile_closure(session, resolved.fy or 0, out_dir, formats=formats,
                               cover_overrides=cover_overrides, progress=progress,
                               framework_id=framework_id)
