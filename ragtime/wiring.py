"""Builds the context every entry point runs on and fills its ports.

``slack_context`` is what ``ragtime serve``, Socket Mode, the scheduler and the tests use: a
migrated database, the Slack gateway on ``SLACK_API_URL`` and the Slack implementations of the
domain's ports, with the messenger routing each outbox row to Slack or, for SROs reached by
email, to ``handlers.email`` (when ``RAGTIME_EMAIL_TRANSPORT`` is set); ``outbound_context``
is the same for commands that only call Slack (``round open``, ``compile --post``).
``offline_context`` reaches nobody (``import``, ``compile`` without ``--post``, ``export``,
``round status``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.collection.followups import FOLLOW_UP
from bot.context import AppContext, utc_now
from bot.messaging.routing import (
    EMAIL,
    SLACK,
    TEAMS,
    AllFollowUps,
    RoutedMessenger,
    RoutedReports,
)
from bot.ports import Messenger, Ports, ReportChannel
from bot.settings import Settings, SettingsError
from handlers.email.messenger import EmailMessenger
from handlers.email.transports import make_transport
from handlers.slack.context import SlackContext
from handlers.slack.gateway import SlackGateway, make_web_client
from handlers.slack.ports import slack_ports
from storage.db import DatabaseError, open_engine
from storage.migrate import upgrade

if TYPE_CHECKING:  # imported when Teams is set up (add_teams)
    from handlers.teams.channel import TeamsChannel


def database(settings: Settings, engine: Engine | None = None, *,
             must_exist: bool = False) -> Engine:
    """``engine`` or one on ``DATABASE_URL``, migrated to the latest revision. A malformed or
    unreachable ``DATABASE_URL`` (or, with ``must_exist``, a SQLite file that is not there) is
    a ``SettingsError`` naming the setting."""
    engine = engine or configured_engine(settings, must_exist=must_exist)
    upgrade(engine)
    return engine


def configured_engine(settings: Settings, *, must_exist: bool = False,
                      checkpoints: bool = True) -> Engine:
    """An engine on ``DATABASE_URL`` (not migrated); ``SettingsError`` naming the setting when
    it cannot be opened. ``checkpoints``: ``storage.db.make_engine``'s."""
    try:
        return open_engine(settings.database_url, must_exist=must_exist,
                           checkpoints=checkpoints)
    except DatabaseError as error:
        raise SettingsError(f"DATABASE_URL: {error}") from None


def slack_context(
    settings: Settings,
    *,
    engine: Engine | None = None,
    client: WebClient | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> SlackContext:
    ctx = SlackContext(settings=settings, engine=database(settings, engine), clock=clock,
                       gateway=SlackGateway(client or make_web_client(settings)))
    ports = slack_ports(ctx)
    teams = add_teams(ctx)
    ports.messenger = routed_messenger(ctx, ports.messenger, teams=teams)
    if teams is not None:
        ports.follow_ups = AllFollowUps([ports.follow_ups, teams.follow_ups])
        ports.teams_installer = teams.installer
        ports.reports = RoutedReports({SLACK: ports.reports, TEAMS: teams_reports(ctx, teams)},
                                      default=SLACK)
    ctx.ports = ports
    return ctx


def teams_context(settings: Settings, *, engine: Engine | None = None,
                  clock: Callable[[], datetime] = utc_now) -> AppContext:
    """A deployment on Teams (and email) without Slack: every port filled by Teams."""
    settings.require_teams()
    ctx = AppContext(settings=settings, engine=database(settings, engine), clock=clock)
    teams = add_teams(ctx)
    assert teams is not None
    ctx.ports = teams_ports(ctx, teams, routed_messenger(ctx, None, teams=teams))
    return ctx


def channel_context(settings: Settings, *, engine: Engine | None = None,
                    client: WebClient | None = None,
                    clock: Callable[[], datetime] = utc_now) -> AppContext:
    """The context on this deployment's channels: Slack (with Teams beside it when set up),
    or Teams alone."""
    if settings.slack_enabled or not settings.teams_enabled:
        return slack_context(settings, engine=engine, client=client, clock=clock)
    return teams_context(settings, engine=engine, clock=clock)


def add_teams(ctx: AppContext) -> TeamsChannel | None:
    """The Teams channel of ``ctx`` when Teams is set up (kept in ``ctx.edges``), else None.

    Imported here, not at the top: the Teams SDK takes seconds to import and a Slack-only
    deployment or a CLI command that reaches nobody never needs it."""
    if not ctx.settings.teams_enabled:
        return None
    ctx.settings.require_teams()
    from handlers.teams.channel import teams_channel

    channel = teams_channel(ctx)
    ctx.edges[TEAMS] = channel
    return channel


def teams_ports(ctx: AppContext, teams: TeamsChannel, messenger: Messenger) -> Ports:
    from handlers.teams.channel import NoDirectory

    return Ports(messenger=messenger, directory=NoDirectory(),
                 reports=teams_reports(ctx, teams), follow_ups=teams.follow_ups,
                 teams_installer=teams.installer)


def teams_reports(ctx: AppContext, teams: TeamsChannel) -> ReportChannel:
    """Reports in the Teams governance conversation (beside Slack's: where a lead asked)."""
    from handlers.teams.report_channel import TeamsReportChannel

    return TeamsReportChannel(ctx, teams.gateway)


def routed_messenger(ctx: AppContext, slack: Messenger | None, *,
                     teams: TeamsChannel | None = None) -> RoutedMessenger:
    """Each outbox row to its channel: Slack, Teams when it is set up, and email when
    ``RAGTIME_EMAIL_TRANSPORT`` is set (``SettingsError`` naming what is missing for it)."""
    messengers: dict[str, Messenger] = {SLACK: slack} if slack is not None else {}
    by_kind: dict[str, Messenger] = {}
    if teams is not None:
        messengers[TEAMS] = teams.messenger
        if slack is None:  # Slack's messenger sends these otherwise
            by_kind[FOLLOW_UP] = teams.follow_up_sender
            by_kind["notice"] = by_kind["escalation"] = teams.governance
    if ctx.settings.email_enabled:
        messengers[EMAIL] = EmailMessenger(ctx, make_transport(ctx.settings))
    return RoutedMessenger(messengers, by_kind=by_kind)


def outbound_context(settings: Settings) -> AppContext:
    """For commands that reach people without serving (``round open``, ``compile --post``):
    Slack's bot token is needed, its signing secret is not; or Teams alone. They act on an
    imported framework, so a SQLite file that is not there is reported, never created empty."""
    settings.require_channels(inbound=False)
    return channel_context(settings, engine=configured_engine(settings, must_exist=True))


def offline_context(settings: Settings, *, engine: Engine | None = None,
                    read_only: bool = False) -> AppContext:
    """``read_only``: for commands that only read (``compile``, ``export``, ``round status``,
    ``schedule show``), which must not leave an empty database behind a mistyped setting."""
    return AppContext(settings=settings, engine=database(settings, engine, must_exist=read_only))
