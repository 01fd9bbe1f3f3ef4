"""``ragtime round links PERIOD``: each SRO of a round, the channel that reaches them and where
their personal link stands (never the link itself unless asked for with ``show``).

A link's status comes from the outbox: the round email that carries it was ``sent`` (when),
is ``pending``, or ``failed`` (why); SROs on Slack or Teams have no link (``Slack: no link``).
Where this deployment has Teams, the channel says whether Teams reaches them yet (``not
reached (not added in Teams yet)``, ``email (not added in Teams yet)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.calendar.periods import Period
from bot.collection.links import personal_link
from bot.collection.progress import OwnerView, round_status
from bot.collection.rounds import existing_round
from bot.collection.status import channel_of
from bot.framework.choice import choose_framework
from bot.framework.people import Channels
from bot.framework.teams import teams_ids
from bot.messaging.routing import EMAIL
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class SroLink:
    name: str
    title: str
    channel: str  # Slack | Teams | email | not reached (``bot.collection.status.channel_of``)
    status: str  # the round email's state, or why there is no link
    link: str | None = None  # only when asked for


@dataclass(frozen=True)
class RoundLinks:
    period: Period
    sros: tuple[SroLink, ...]

    def lines(self) -> list[str]:
        lines = [f"{self.period.label}: {len(self.sros)} SRO(s)"]
        for sro in self.sros:
            who = f"{sro.name}, {sro.title}" if sro.title else sro.name
            lines.append(f"  - {who}: {sro.channel}; {sro.status}")
            if sro.link:
                lines.append(f"      {sro.link}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def round_links(ctx: AppContext, period: Period, *, framework: str | None = None,
                show: bool = False) -> RoundLinks:
    """Every SRO of the period's round (``RoundError`` when it has not been opened), in report
    order, with their channel and link status; ``show`` adds each email SRO's link."""
    email_enabled = ctx.settings.email_enabled
    channels = Channels.of(ctx.settings)
    with session_scope(ctx.engine) as session:
        framework_id = choose_framework(session, framework).id
        round_ = existing_round(session, period, framework_id)
        view = round_status(session, period, framework_id=framework_id)
        emails: dict[int, OutboxMessage] = {}
        for row in session.exec(select(OutboxMessage).where(
                OutboxMessage.kind == "prompt", OutboxMessage.via == EMAIL,
                OutboxMessage.period_id == round_.period_id,
        ).order_by(col(OutboxMessage.id))).all():
            if row.person_id is not None:
                emails[row.person_id] = row  # the latest round email of each SRO
        round_id = round_.id or 0
        seen: dict[int, OwnerView] = {}
        for theme in view.themes:
            for item in (*theme.answered, *theme.outstanding):
                for sro in item.sros:
                    seen.setdefault(sro.person_id, sro)
        in_teams = teams_ids(session, seen) if channels.teams else {}
    sros = []
    for person_id, sro in seen.items():
        channel = channel_of(sro, email_enabled=email_enabled, channels=channels,
                             teams_id=in_teams.get(person_id))
        row = emails.get(person_id)
        link = None
        if row is not None:
            status = _email_status(row, ctx)
            if show:
                link = personal_link(ctx, person_id=person_id, round_id=round_id)
        elif channel.startswith("email"):
            status = "no round email recorded yet (open the round again)"
        else:
            word = channel.partition(" (")[0]  # "Slack (not added in Teams yet)": Slack
            status = (f"no link (prompted in {word})" if word in ("Slack", "Teams")
                      else "no link")
        sros.append(SroLink(name=sro.name, title=sro.title, channel=channel, status=status,
                            link=link))
    return RoundLinks(period=period, sros=tuple(sros))


def _email_status(row: OutboxMessage, ctx: AppContext) -> str:
    if row.status == OutboxStatus.sent and row.sent_at is not None:
        sent = row.sent_at.astimezone(ctx.settings.tz)
        return f"link emailed {sent:%a} {sent.day} {sent:%b %Y %H:%M}"
    if row.status == OutboxStatus.failed:
        return f"round email failed: {row.last_error or 'unknown error'}"
    return "round email not sent yet (pending)"
