"""Opening a round adds Ragtime in Teams, through Microsoft Graph, for the round's people who
have not added it themselves (``RAGTIME_TEAMS_GRAPH=true``: ``ctx.channels.teams_installer``;
without it nothing happens). It is ``ragtime teams install``'s ``add_in_teams``, narrowed to the
people the round prompts (or could not reach), called after the round's transaction has
committed: Graph is a network call.

Teams then tells Ragtime of each installation (``installationUpdate``) and the person is
reached there from the next message on; meanwhile, under ``auto``, the round's email (with its
"Add Ragtime in Teams" link) stands in. Graph refusing or failing never stops the round: each
failure is audited, logged and reported like an undelivered prompt (``Problem``), one line per
distinct reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.collection.notices import Problem
from bot.collection.risk_round import RISK_PROMPT
from bot.framework.people import Channels
from bot.framework.teams import Added, add_in_teams
from bot.messaging.outbox import people_messaged
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

ROUND_PROMPTS = ("prompt", RISK_PROMPT)


def add_round_people_in_teams(ctx: AppContext, period_id: int, *, missing: Iterable[int],
                              actor: str) -> tuple[Added, ...]:
    """Add Ragtime in Teams for the people the period's prompts were recorded for and the
    ``missing`` ones (person ids the round could not reach), where Teams would reach them once
    they had it; () when this deployment has no Graph."""
    installer = ctx.channels.teams_installer
    if installer is None:
        return ()
    with session_scope(ctx.engine) as session:
        people = people_messaged(session, period_id, ROUND_PROMPTS) | set(missing)
    if not people:
        return ()
    done = tuple(add_in_teams(ctx.engine, Channels.of(ctx.settings), installer.install_for,
                              person_ids=people, actor=actor))
    for item in done:
        if item.failed:
            log.warning("Ragtime could not be added in Teams for person %s: %s", item.email,
                        item.outcome)
    return done


def install_problems(added: Iterable[Added]) -> tuple[Problem, ...]:
    """The failed installs as problems for the governance leads: one per distinct reason,
    naming everyone it stopped."""
    by_reason: dict[str, list[str]] = {}
    for item in added:
        if item.failed:
            reason = item.outcome.removeprefix("failed:").strip()
            by_reason.setdefault(reason, []).append(item.name)
    return tuple(Problem(", ".join(names), f"Ragtime could not be added in Teams for them "
                                           f"through Microsoft Graph: {reason}")
                 for reason, names in by_reason.items())


def install_lines(added: Iterable[Added]) -> list[str]:
    """What Graph did for the others, for whoever opened the round."""
    done = [item for item in added if not item.failed]
    if not done:
        return []
    return ["Adding Ragtime in Teams (Microsoft Graph): "
            + "; ".join(f"{item.name}: {item.outcome}" for item in done)
            + ". Teams tells Ragtime of each installation; they are reached there from then on."]
