"""Where a round stands, for the people who ask: ``/report-status``, the App Home, the CLI.

Each surface makes one call and renders the plain values it gets back:

- ``home_page(ctx, user)``: the period in focus, the viewer's own deliverables and, for
  governance leads, the whole round's progress and whether its round may be opened now;
- ``status_for(ctx, user, asked)``: the same facts for ``/report-status [PERIOD]`` (a lead sees
  who is outstanding, anyone else only their own deliverables: only those are read);
- ``round_status_report(ctx_or_engine, period)``: the status for ``ragtime round status``
  (``text()`` for a terminal, ``as_dict()`` for ``--json``); ``round_status_text`` its text.

The session-taking helpers (``state_in_focus``, ``my_items``, ``round_progress``) read a few
small queries whatever the framework's size. The governance-lead check may ask the channel for
an email, so it is made before any session is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.owned import deliverables_for
from bot.collection.progress import OwnerView, RoundStatusView
from bot.collection.progress import round_status as load_round_status
from bot.collection.rounds import RoundError, RoundSummary, find_round, round_summary
from bot.collection.values import Target, day
from bot.framework.choice import choose_framework
from bot.framework.people import NOT_IN_TEAMS, Channels
from bot.framework.permissions import is_governance_lead
from bot.messaging.health import Health, health
from bot.messaging.outbox import failed_messages
from bot.messaging.routing import EMAIL, SLACK, TEAMS
from storage.db import session_scope
from storage.models import RoundStatus, utcnow

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class RoundState:
    period: Period
    opened: bool
    closed: bool
    frozen: bool
    deadline: date | None

    def describe(self) -> str:
        if self.frozen:
            return f"{self.period.label}: closed for changes (report approved or frozen)"
        if not self.opened:
            return (f"{self.period.label}: no round opened yet "
                    f"(planned deadline {day(self.deadline)})")
        state = "round closed" if self.closed else "round open"
        return f"{self.period.label}: {state}, deadline {day(self.deadline)}"


@dataclass(frozen=True)
class MyItem:
    """One of the viewer's deliverables with its state in the period."""

    target: Target
    number: str
    title: str
    area: str
    theme: str
    rag: str | None
    version: int | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class OutstandingItem:
    number: str
    title: str
    area: str
    sros: tuple[str, ...]


@dataclass(frozen=True)
class OutstandingTheme:
    theme: str
    items: tuple[OutstandingItem, ...]


@dataclass(frozen=True)
class Progress:
    """The whole round, for governance leads."""

    total: int
    answered: int
    themes: Sequence[tuple[str, int, int]]  # (theme, answered, total)
    outstanding: Sequence[OutstandingTheme]


@dataclass(frozen=True)
class HomePage:
    state: RoundState | None  # None: no framework imported yet
    items: Sequence[MyItem] = ()
    lead: bool = False
    progress: Progress | None = None  # for leads
    can_open: Period | None = None  # for leads: the period whose round may be opened now


@dataclass(frozen=True)
class StatusReport:
    """``/report-status``: ``state`` None when no framework has been imported; ``progress``
    for a governance lead, else the asker's own ``items``."""

    state: RoundState | None
    progress: Progress | None = None
    items: Sequence[MyItem] = ()


# ------------------------------------------------------------------------------ one call each

def home_page(ctx: AppContext, user: str) -> HomePage:
    """What ``user``'s Home tab shows now."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        state = state_in_focus(session, ctx.today())
        if state is None:
            return HomePage(state=None)
        period = state.period
        return HomePage(
            state=state, items=my_items(session, user, period), lead=lead,
            progress=(round_progress(session, period,
                                     email_enabled=ctx.settings.email_enabled)
                      if lead else None),
            can_open=period if lead and not state.opened else None,
        )


def status_for(ctx: AppContext, user: str, asked: Period | None = None) -> StatusReport:
    """``/report-status [PERIOD]`` for ``user``: the whole round for a lead, else only their
    own deliverables (and only those are read)."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        state = state_in_focus(session, ctx.today(), asked)
        if state is None:
            return StatusReport(state=None)
        if lead:
            return StatusReport(state=state, progress=round_progress(
                session, state.period, email_enabled=ctx.settings.email_enabled))
        return StatusReport(state=state, items=my_items(session, user, state.period))


@dataclass(frozen=True)
class RoundStatusReport:
    """``ragtime round status PERIOD``: the round's state, who answered and who has not;
    ``text()`` for a terminal, ``as_dict()`` for ``--json``."""

    state: RoundState
    view: RoundStatusView
    undelivered: int  # prompts and reminders that could not be delivered
    backlog: Health | None = None  # what waits for the worker (``bot.messaging.health``)
    email_enabled: bool = False  # this deployment emails SROs: each SRO's channel is shown

    def text(self) -> str:
        view = self.view
        lines = [self.state.describe(),
                 f"{view.answered_count} of {view.total} deliverables answered, "
                 f"{view.outstanding_count} outstanding."]
        if self.undelivered:
            lines.append(f"{self.undelivered} prompt(s)/reminder(s) could not be delivered (see "
                         "the governance channel's notices).")
        if self.backlog is not None:
            lines.append(backlog_line(self.backlog))
        for theme in view.themes:
            lines.append("")
            lines.append(f"{theme.name}: {len(theme.answered)} of {theme.total} answered")
            for item in theme.outstanding:
                label = f"{item.number} {item.title}" if item.number else item.title
                sros = "; ".join(f"{sro.name}: {channel_of(sro, email_enabled=self.email_enabled)}"
                                 for sro in item.sros) or "no SRO"
                lines.append(f"  - outstanding: {label} ({sros})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape (documented in the README): plain JSON values only."""
        view, state = self.view, self.state
        return {
            "framework": view.framework_name,
            "period": view.period.label,
            "opened": state.opened, "closed": state.closed, "frozen": state.frozen,
            "deadline": state.deadline.isoformat() if state.deadline else None,
            "total": view.total, "answered": view.answered_count,
            "outstanding": view.outstanding_count, "undelivered": self.undelivered,
            "backlog": self.backlog.as_dict() if self.backlog is not None else None,
            "themes": [{
                "name": theme.name, "total": theme.total, "answered": len(theme.answered),
                "deliverables": [{
                    "ref": item.number, "area": item.area, "title": item.title,
                    "sros": [sro.name for sro in item.sros],
                    "channels": [channel_of(sro, email_enabled=self.email_enabled)
                                 for sro in item.sros],
                    "rag": item.rag.value if item.rag else None,
                    "submitted_at": item.submitted_at.isoformat() if item.submitted_at else None,
                } for item in (*theme.answered, *theme.outstanding)],
            } for theme in view.themes],
        }


def round_status_report(ctx: AppContext | Engine, period: Period, *,
                        framework: str | None = None) -> RoundStatusReport:
    """Who is outstanding in ``period``'s round, by theme, for the framework called
    ``framework`` (else the only one; ``FrameworkChoiceError`` when there is none or several)."""
    engine = ctx if isinstance(ctx, Engine) else ctx.engine
    email_enabled = not isinstance(ctx, Engine) and ctx.settings.email_enabled
    with session_scope(engine) as session:
        framework_id = choose_framework(session, framework).id
        view = load_round_status(session, period, framework_id=framework_id)
        state = _state(view)
        round_ = (find_round(session, period, framework_id=framework_id) if state.opened
                  else None)
        undelivered = len(failed_messages(session, round_.period_id,
                                          kinds=("prompt", "reminder"))
                          ) if round_ is not None else 0
    return RoundStatusReport(state=state, view=view, undelivered=undelivered,
                             backlog=health(engine, now=utcnow() if isinstance(ctx, Engine)
                                            else ctx.now()),
                             email_enabled=email_enabled)


def backlog_line(state: Health) -> str:
    """What waits for the worker, in one line."""
    waiting = state.inbox.pending + state.outbox.pending
    ages = [age for age in (state.inbox.oldest_age, state.outbox.oldest_age) if age is not None]
    oldest = f", the oldest for {_duration(max(ages))}" if ages else ""
    workers = ("no worker alive" if not state.worker_ok
               else f"{state.workers_alive} worker(s) alive")
    return (f"Waiting to be done or sent: {waiting} item(s) ({state.inbox.pending} received, "
            f"{state.outbox.pending} to send{oldest}); {workers}.")


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def round_status_text(ctx: AppContext | Engine, period: Period, *,
                      framework: str | None = None) -> str:
    """``round_status_report`` as plain text."""
    return round_status_report(ctx, period, framework=framework).text()


# ------------------------------------------------------------------------------ in a session

def state_in_focus(
    session: Session, today: date, asked: Period | None = None
) -> RoundState | None:
    """The state of ``asked``'s round, else of the period people are asked about now: the
    newest open round of this quarter or the last, else the current quarter. ``None`` when no
    framework has been imported. A few small queries, whatever the framework's size."""
    try:
        if asked is not None:
            return _state(round_summary(session, asked))
        current = round_summary(session, Period.containing(today))
        if _collecting(current):
            return _state(current)
        before = round_summary(session, current.period.previous())
        return _state(before if _collecting(before) else current)
    except RoundError:  # no framework yet
        return None


def round_progress(session: Session, period: Period, *, email_enabled: bool = False
                   ) -> Progress:
    """The whole round by theme, for governance leads (a fixed number of queries); SROs
    reached by email are marked so (``email_enabled``: this deployment sends email)."""
    return progress_of(load_round_status(session, period), email_enabled=email_enabled)


def channel_of(owner: OwnerView, *, email_enabled: bool, channels: Channels | None = None,
               teams_id: str | None = None) -> str:
    """``Slack``, ``Teams``, ``email`` or ``not reached``: how the round reaches this SRO
    (``channels`` and their ``teams_id``, when this deployment has Teams). Someone Teams would
    reach once they add Ragtime there is ``not reached (not added in Teams yet)``."""
    channels = channels or Channels(email=email_enabled)
    reach = channels.reach(channel=owner.channel, slack_id=owner.slack_id, email=owner.email,
                           teams_id=teams_id)
    if reach.via is None and reach.problem == NOT_IN_TEAMS:
        return "not reached (not added in Teams yet)"
    return {SLACK: "Slack", EMAIL: "email", TEAMS: "Teams"}.get(reach.via or "", "not reached")


def _sro_name(owner: OwnerView, email_enabled: bool) -> str:
    """The SRO's name, with ``(by email)`` when the round reaches them by email."""
    if channel_of(owner, email_enabled=email_enabled) == "email":
        return f"{owner.name} (by email)"
    return owner.name


def progress_of(view: RoundStatusView, *, email_enabled: bool = False) -> Progress:
    return Progress(
        total=view.total, answered=view.answered_count,
        themes=[(theme.name, len(theme.answered), theme.total) for theme in view.themes],
        outstanding=[
            OutstandingTheme(theme=theme.name, items=tuple(
                OutstandingItem(number=item.number, title=item.title, area=item.area,
                                sros=tuple(_sro_name(sro, email_enabled) for sro in item.sros))
                for item in theme.outstanding))
            for theme in view.themes if theme.outstanding
        ],
    )


def my_items(session: Session, user_id: str, period: Period) -> list[MyItem]:
    return [MyItem(target=Target(item.id, period), number=item.number, title=item.title,
                   area=item.area, theme=item.theme, rag=item.rag.value if item.rag else None,
                   version=item.version, submitted_at=item.submitted_at)
            for item in deliverables_for(session, user_id, period)]


def _collecting(summary: RoundSummary) -> bool:
    return summary.opened and summary.status == RoundStatus.open and not summary.frozen


def _state(round_: RoundSummary | RoundStatusView) -> RoundState:
    return RoundState(period=round_.period, opened=round_.opened,
                      closed=round_.status == RoundStatus.closed, frozen=round_.frozen,
                      deadline=round_.deadline)
