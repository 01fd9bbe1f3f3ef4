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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_TIMEZONE
from bot.collection.availability import (
    Availability,
    ExtensionView,
    availability,
    availability_in,
    extensions_of,
)
from bot.collection.owned import deliverables_for
from bot.collection.progress import DeliverableStatus, OwnerView, RoundStatusView
from bot.collection.progress import round_status as load_round_status
from bot.collection.risk_round import (
    RISK_PROMPT,
    RISK_REMINDER,
    RiskProgress,
    RiskStatus,
    my_risks,
    risk_progress,
)
from bot.collection.rounds import RoundError, RoundSummary, find_round, round_summary
from bot.collection.values import Target, day
from bot.framework.absences import AbsenceView, absences_between
from bot.framework.choice import choose_framework
from bot.framework.lifecycle import closure_of, state_of
from bot.framework.people import NOT_IN_TEAMS, Channels, person_for_slack_id
from bot.framework.permissions import is_governance_lead
from bot.framework.teams import teams_ids
from bot.messaging.health import Health, health
from bot.messaging.outbox import failed_messages
from bot.messaging.routing import EMAIL, SLACK, TEAMS
from storage.db import session_scope
from storage.models import Deliverable, Framework, FrameworkState, RoundStatus, utcnow

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
    on_behalf_of: str | None = None  # covering for this absent SRO


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
    risks: Sequence[RiskStatus] = ()  # the viewer's own BAF risks and their returns
    risk_progress: RiskProgress | None = None  # for leads: every owned risk's return
    # Which framework, when several are in focus (a strategy closing beside the next one);
    # "" when there is only one, so nothing needs saying.
    framework: str = ""
    absence: AbsenceView | None = None  # the viewer's own current or next absence


@dataclass(frozen=True)
class StatusReport:
    """``/report-status``: ``state`` None when no framework has been imported; ``progress``
    for a governance lead, else the asker's own ``items``; ``framework`` as on ``HomePage``."""

    state: RoundState | None
    progress: Progress | None = None
    items: Sequence[MyItem] = ()
    framework: str = ""


# ------------------------------------------------------------------------------ one call each

def home_page(ctx: AppContext, user: str) -> HomePage:
    """What ``user``'s Home tab shows now (the first framework in focus; see ``home_pages``)."""
    return home_pages(ctx, user)[0]


def home_pages(ctx: AppContext, user: str) -> list[HomePage]:
    """What ``user``'s Home tab shows now: one page per framework in focus (every framework
    not yet closed), each with its own round; an SRO sees those they own deliverables in."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        focus = frameworks_in_focus(session)
        pages, others = [], []
        for framework_id, name in focus:
            state = state_in_focus(session, ctx.today(), framework_id=framework_id)
            if state is None:
                continue
            period = state.period
            items = my_items(session, user, period, framework_id=framework_id, on=ctx.today())
            risks = my_risks(session, period, slack_id=user, framework_id=framework_id)
            shown = pages if lead or items or risks or len(focus) == 1 else others
            shown.append(HomePage(
                state=state, items=items, lead=lead,
                progress=(round_progress(session, period, framework_id=framework_id,
                                         email_enabled=ctx.settings.email_enabled,
                                         today=ctx.today())
                          if lead else None),
                can_open=period if lead and not state.opened else None,
                risks=risks,
                risk_progress=(risk_progress(session, period, framework_id)
                               if lead else None),
                framework=name if len(focus) > 1 else "",
                absence=_own_absence(session, user, ctx.today()),
            ))
    return pages or others[:1] or [HomePage(state=None)]


def _own_absence(session: Session, user: str, today: date) -> AbsenceView | None:
    """``user``'s current or next absence, if any."""
    person = person_for_slack_id(session, user)
    if person is None:
        return None
    found = absences_between(session, today, person_ids=[person.id or 0])
    return found[0] if found else None


def status_for(ctx: AppContext, user: str, asked: Period | None = None) -> StatusReport:
    """``/report-status [PERIOD]`` for ``user``: the whole round for a lead, else only their
    own deliverables (and only those are read); the first framework in focus (see
    ``statuses_for``)."""
    return statuses_for(ctx, user, asked)[0]


def statuses_for(ctx: AppContext, user: str, asked: Period | None = None
                 ) -> list[StatusReport]:
    """``status_for`` for each framework in focus (an SRO: those they own deliverables in)."""
    lead = is_governance_lead(ctx, user)
    with session_scope(ctx.engine) as session:
        focus = frameworks_in_focus(session)
        reports = []
        for framework_id, name in focus:
            state = state_in_focus(session, ctx.today(), asked, framework_id=framework_id)
            if state is None:
                continue
            shown = name if len(focus) > 1 else ""
            if lead:
                reports.append(StatusReport(state=state, framework=shown, progress=round_progress(
                    session, state.period, framework_id=framework_id,
                    email_enabled=ctx.settings.email_enabled, today=ctx.today())))
                continue
            items = my_items(session, user, state.period, framework_id=framework_id,
                             on=ctx.today())
            if len(focus) == 1 or items:
                reports.append(StatusReport(state=state, items=items, framework=shown))
    return reports or [StatusReport(state=None)]


@dataclass(frozen=True)
class RoundStatusReport:
    """``ragtime round status PERIOD``: the round's state, who answered and who has not;
    ``text()`` for a terminal, ``as_dict()`` for ``--json``."""

    state: RoundState
    view: RoundStatusView
    undelivered: int  # prompts and reminders that could not be delivered
    backlog: Health | None = None  # what waits for the worker (``bot.messaging.health``)
    email_enabled: bool = False  # this deployment emails SROs: each SRO's channel is shown
    present: Availability | None = None  # absences and extensions (an opened round only)
    absences: tuple[AbsenceView, ...] = ()  # during the round
    extensions: tuple[ExtensionView, ...] = ()
    risks: RiskProgress | None = None  # the BAF risk returns of the round
    # person id -> how the round reaches them on this deployment's channels (``channel_of``,
    # Teams included); read with ``channel``.
    channels: Mapping[int, str] = field(default_factory=dict)

    def channel(self, sro: OwnerView) -> str:
        return (self.channels.get(sro.person_id)
                or channel_of(sro, email_enabled=self.email_enabled))

    def text(self) -> str:
        view = self.view
        opened = self.state.opened
        lines = [f"{view.framework_name} — {self.state.describe()}",
                 f"{view.answered_count} of {view.total} deliverables answered, "
                 f"{view.outstanding_count} outstanding." if opened else
                 f"{view.answered_count} of {view.total} deliverables have an update; "
                 f"`ragtime round open {view.period.label}` opens the round and prompts "
                 "every SRO."]
        states = [item_state(item, self.present) for item in view.outstanding]
        away = sum(state.startswith("away") for state in states)
        if states and (self.present is not None):
            lines.append(f"Of those: {states.count('late')} late, {away} away, "
                         f"{states.count('extended')} with an extended deadline.")
        for absence in self.absences:
            lines.append(f"{absence.person_name}: {absence.describe()}"
                         + (f" ({absence.note})" if absence.note else ""))
        for extension in self.extensions:
            lines.append(f"Deadline extended: {extension.who} until {day(extension.until)}")
        if self.undelivered:
            lines.append(f"{self.undelivered} prompt(s)/reminder(s) could not be delivered (see "
                         "the governance channel's notices).")
        if self.backlog is not None and opened:  # before a round, nothing waits for a worker
            lines.append(backlog_line(self.backlog))
        for theme in view.themes:
            lines.append("")
            lines.append(f"{theme.name}: {len(theme.answered)} of {theme.total} answered")
            for item in theme.outstanding:
                label = f"{item.number} {item.title}" if item.number else item.title
                sros = "; ".join(
                    f"{self._name(sro)}: {self.channel(sro)}"
                    if opened else self._name(sro) for sro in item.sros) or "no SRO"
                state = item_state(item, self.present) if opened else "no update"
                lines.append(f"  - {state_words(state, item, self.present)}: {label} ({sros})")
        if self.risks is not None and self.risks.total:
            lines += ["", *self.risks.lines()]
        return "\n".join(lines)

    def _name(self, sro: OwnerView) -> str:
        absence = self.present.away(sro.person_id) if self.present is not None else None
        if absence is None:
            return sro.name
        return away_label(sro.name, absence.ends, absence.cover_name)

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
                    "channels": [self.channel(sro) for sro in item.sros],
                    "rag": item.rag.value if item.rag else None,
                    "submitted_at": item.submitted_at.isoformat() if item.submitted_at else None,
                    "state": item_state(item, self.present),
                    "deadline": self._deadline(item),
                    "away": [{"name": absence.person_name, "until": absence.ends.isoformat(),
                              "back_on": absence.back_on.isoformat(),
                              "cover": absence.cover_name}
                             for sro in item.sros
                             if self.present is not None
                             and (absence := self.present.away(sro.person_id)) is not None],
                } for item in (*theme.answered, *theme.outstanding)],
            } for theme in view.themes],
            "absences": [absence.as_dict() for absence in self.absences],
            "extensions": [extension.as_dict() for extension in self.extensions],
            "risks": self.risks.as_dict() if self.risks is not None else None,
        }

    def _deadline(self, item: DeliverableStatus) -> str | None:
        if self.present is None:
            return self.state.deadline.isoformat() if self.state.deadline else None
        return self.present.item_deadline(
            item.id, [sro.person_id for sro in item.sros]).isoformat()


def round_status_report(ctx: AppContext | Engine, period: Period, *,
                        framework: str | None = None) -> RoundStatusReport:
    """Who is outstanding in ``period``'s round, by theme, for the framework called
    ``framework`` (else the only one; ``FrameworkChoiceError`` when there is none or several)."""
    engine = ctx if isinstance(ctx, Engine) else ctx.engine
    email_enabled = not isinstance(ctx, Engine) and ctx.settings.email_enabled
    with session_scope(engine) as session:
        framework_id = choose_framework(session, framework, period=period).id
        view = load_round_status(session, period, framework_id=framework_id)
        state = _state(view)
        reached = (reached_by(session, view, Channels.of(ctx.settings))
                   if not isinstance(ctx, Engine) else {})
        round_ = (find_round(session, period, framework_id=framework_id) if state.opened
                  else None)
        undelivered = len(failed_messages(session, round_.period_id,
                                          kinds=("prompt", "reminder", RISK_PROMPT,
                                                 RISK_REMINDER))
                          ) if round_ is not None else 0
        today = _today(ctx)
        present = availability(session, round_, today) if round_ is not None else None
        # From the quarter's end to the deadline, and anyone away today.
        absences = tuple(absences_between(session, min(period.end, today),
                                          max(state.deadline or today, today)))
        extensions = tuple(extensions_of(session, round_.id or 0)) if round_ else ()
        risks = risk_progress(session, period, framework_id)
    return RoundStatusReport(state=state, view=view, undelivered=undelivered,
                             backlog=health(engine, now=utcnow() if isinstance(ctx, Engine)
                                            else ctx.now()),
                             email_enabled=email_enabled, present=present, absences=absences,
                             extensions=extensions, risks=risks, channels=reached)


def reached_by(session: Session, view: RoundStatusView, channels: Channels) -> dict[int, str]:
    """person id -> ``channel_of`` each SRO of the round on ``channels`` (with the Teams
    accounts known now, when this deployment has Teams)."""
    sros = {sro.person_id: sro for theme in view.themes
            for item in (*theme.answered, *theme.outstanding) for sro in item.sros}
    in_teams = teams_ids(session, sros) if channels.teams else {}
    return {person_id: channel_of(sro, email_enabled=channels.email, channels=channels,
                                  teams_id=in_teams.get(person_id))
            for person_id, sro in sros.items()}


def _today(ctx: AppContext | Engine) -> date:
    if isinstance(ctx, Engine):
        return utcnow().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    return ctx.today()


def item_state(item: DeliverableStatus, present: Availability | None) -> str:
    """``answered``, ``away, no cover`` (every SRO away and nobody covering),
    ``away, covered``, ``extended`` (a later deadline, not yet passed), ``late`` (after its
    deadline) or ``outstanding``."""
    if item.answered:
        return "answered"
    if present is None:
        return "outstanding"
    sro_ids = [sro.person_id for sro in item.sros]
    if present.uncovered(sro_ids):
        return "away, no cover"
    if any(present.cover_of(sro) for sro in sro_ids):
        return "away, covered"
    due = present.item_deadline(item.id, sro_ids)
    if due > present.deadline and present.today <= due:
        return "extended"
    return "late" if present.today > due else "outstanding"


def state_words(state: str, item: DeliverableStatus, present: Availability | None) -> str:
    """A state as a line of ``round status`` begins."""
    if state == "extended" and present is not None:
        due = present.item_deadline(item.id, [sro.person_id for sro in item.sros])
        return f"extended to {day(due)}"
    return state


def away_label(name: str, until: date | str | None, cover: str | None) -> str:
    """``Sharon Murphy (away until Fri 15 Aug 2025, covered by Sarah Willis)`` or
    ``… (away until …, no cover)``: an SRO away, as status and escalation name them."""
    if not until:
        return name
    covered = f"covered by {cover}" if cover else "no cover"
    return f"{name} (away until {day(until)}, {covered})"


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

def frameworks_in_focus(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every framework not yet closed, in the order they were loaded: the
    rounds people are asked about (a strategy's closure round beside the next one's)."""
    every = [(framework.id or 0, framework.name)
             for framework in session.exec(select(Framework).order_by(Framework.id))]
    open_ = [(fid, name) for fid, name in every
             if state_of(session, fid) != FrameworkState.closed]
    return open_ or every[-1:]  # all closed: the newest


def _final_period(session: Session, framework_id: int | None) -> Period | None:
    """A closing framework's final quarter: its closure round is the one in focus."""
    closure = closure_of(session, framework_id) if framework_id is not None else None
    return Period(closure.fy, 4) if closure is not None else None


def state_in_focus(
    session: Session, today: date, asked: Period | None = None, *,
    framework_id: int | None = None,
) -> RoundState | None:
    """The state of ``asked``'s round, else of the period people are asked about now: the
    newest open round of this quarter or the last, else the current quarter. ``None`` when no
    framework has been imported. A few small queries, whatever the framework's size."""
    try:
        asked = asked or _final_period(session, framework_id)
        if asked is not None:
            return _state(round_summary(session, asked, framework_id=framework_id))
        current = round_summary(session, Period.containing(today), framework_id=framework_id)
        if _collecting(current):
            return _state(current)
        before = round_summary(session, current.period.previous(), framework_id=framework_id)
        return _state(before if _collecting(before) else current)
    except RoundError:  # no framework yet
        return None


def round_progress(session: Session, period: Period, *, email_enabled: bool = False,
                   framework_id: int | None = None, today: date | None = None) -> Progress:
    """The whole round by theme, for governance leads (a fixed number of queries); SROs
    reached by email are marked so (``email_enabled``: this deployment sends email)."""
    view = load_round_status(session, period, framework_id=framework_id)
    present = (availability_in(session, framework_id=view.framework_id, period=period,
                               deadline=view.deadline, today=today)
               if view.opened and today else None)
    return progress_of(view, email_enabled=email_enabled, present=present)


def channel_of(owner: OwnerView, *, email_enabled: bool, channels: Channels | None = None,
               teams_id: str | None = None) -> str:
    """``Slack``, ``Teams``, ``email`` or ``not reached``: how the round reaches this SRO
    (``channels`` and their ``teams_id``, when this deployment has Teams). Someone Teams would
    reach once they add Ragtime there is ``not reached (not added in Teams yet)``, or, when
    another channel reaches them meanwhile (``auto``), e.g. ``email (not added in Teams
    yet)``."""
    channels = channels or Channels(email=email_enabled)
    reach = channels.reach(channel=owner.channel, slack_id=owner.slack_id, email=owner.email,
                           teams_id=teams_id)
    if reach.via is None and reach.problem == NOT_IN_TEAMS:
        return "not reached (not added in Teams yet)"
    word = {SLACK: "Slack", EMAIL: "email", TEAMS: "Teams"}.get(reach.via or "", "not reached")
    if reach.via is not None and _teams_first(owner, channels, reach.via):
        return f"{word} (not added in Teams yet)"
    return word


def _teams_first(owner: OwnerView, channels: Channels, via: str) -> bool:
    """Teams would reach this ``auto`` person before ``via`` once they add Ragtime there."""
    if not channels.teams or (owner.channel or "auto").strip().lower() != "auto":
        return False
    order = list(channels.order)
    return TEAMS in order and via in order and order.index(TEAMS) < order.index(via)


def _sro_name(owner: OwnerView, email_enabled: bool) -> str:
    """The SRO's name, with ``(by email)`` when the round reaches them by email."""
    if channel_of(owner, email_enabled=email_enabled) == "email":
        return f"{owner.name} (by email)"
    return owner.name


def progress_of(view: RoundStatusView, *, email_enabled: bool = False,
                present: Availability | None = None) -> Progress:
    """The round by theme; with ``present``, an SRO away is named with their return and
    cover, so "away" reads apart from "late"."""
    def sro_name(sro: OwnerView) -> str:
        absence = present.away(sro.person_id) if present is not None else None
        name = _sro_name(sro, email_enabled)
        return away_label(name, absence.ends, absence.cover_name) if absence else name

    return Progress(
        total=view.total, answered=view.answered_count,
        themes=[(theme.name, len(theme.answered), theme.total) for theme in view.themes],
        outstanding=[
            OutstandingTheme(theme=theme.name, items=tuple(
                OutstandingItem(number=item.number, title=item.title, area=item.area,
                                sros=tuple(sro_name(sro) for sro in item.sros))
                for item in theme.outstanding))
            for theme in view.themes if theme.outstanding
        ],
    )


def my_items(session: Session, user_id: str, period: Period, *,
             framework_id: int | None = None, on: date | None = None) -> list[MyItem]:
    """The user's deliverables (of ``framework_id`` only, when given) in ``period``, and with
    ``on`` those of the SROs they cover that day."""
    owned = deliverables_for(session, user_id, period, on=on)
    if framework_id is not None and owned:
        theirs = set(session.exec(select(Deliverable.id).where(
            Deliverable.framework_id == framework_id)).all())
        owned = [item for item in owned if item.id in theirs]
    return [MyItem(target=Target(item.id, period), number=item.number, title=item.title,
                   area=item.area, theme=item.theme, rag=item.rag.value if item.rag else None,
                   version=item.version, submitted_at=item.submitted_at,
                   on_behalf_of=item.on_behalf_of)
            for item in owned]


def _collecting(summary: RoundSummary) -> bool:
    return summary.opened and summary.status == RoundStatus.open and not summary.frozen


def _state(round_: RoundSummary | RoundStatusView) -> RoundState:
    return RoundState(period=round_.period, opened=round_.opened,
                      closed=round_.status == RoundStatus.closed, frozen=round_.frozen,
                      deadline=round_.deadline)
