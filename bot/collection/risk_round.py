"""BAF risks in the round: prompts, reminders and progress of the risk owners' returns.

When a round opens (``bot.collection.rounds.open_round``) each risk owner is prompted for each
of their risks, as SROs are for their deliverables, on their channel
(``bot.framework.people.Channels``): on Slack or Teams one card per risk (outbox kind
``risk_prompt``), by email one message listing all their risks with their personal link.
Reminders chase the owners whose risks have no return yet (``risk_reminder``); the escalation,
``ragtime round status`` and the Home tab count them (``risk_progress``). Nothing here sends:
each message is recorded under a unique key and ``bot.messaging.outbox`` sends it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.collection.risk_returns import latest_returns, previous_score
from bot.framework.people import Channels
from bot.framework.risks import RiskInfo, load_risks
from bot.framework.teams import teams_ids
from bot.messaging.outbox import record_message
from bot.messaging.routing import EMAIL, TEAMS
from storage.models import Framework, Person, Round

RISK_PROMPT = "risk_prompt"
RISK_REMINDER = "risk_reminder"
RISK_CONFIRMATION = "risk_confirmation"


@dataclass(frozen=True)
class RiskStatus:
    risk: RiskInfo
    score: int | None  # this quarter's return's, None when outstanding
    version: int | None


@dataclass(frozen=True)
class RiskProgress:
    """The risk returns of a round: every risk with owners, returned or not."""

    risks: tuple[RiskStatus, ...]

    @property
    def total(self) -> int:
        return len(self.risks)

    @property
    def returned(self) -> int:
        return sum(1 for item in self.risks if item.score is not None)

    @property
    def outstanding(self) -> tuple[RiskStatus, ...]:
        return tuple(item for item in self.risks if item.score is None)

    def lines(self) -> list[str]:
        """For a terminal or the escalation: the count and each risk still outstanding."""
        if not self.risks:
            return []
        lines = [f"BAF risk returns: {self.returned} of {self.total} returned, "
                 f"{len(self.outstanding)} outstanding."]
        lines += [f"  - outstanding: BAF {item.risk.number} {item.risk.title} "
                  f"({'; '.join(item.risk.owner_names)})" for item in self.outstanding]
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "returned": self.returned,
                "outstanding": len(self.outstanding),
                "risks": [{"number": item.risk.number, "title": item.risk.title,
                           "owners": list(item.risk.owner_names), "score": item.score,
                           "returned": item.score is not None} for item in self.risks]}


def risk_progress(session: Session, period: Period, framework_id: int) -> RiskProgress:
    """Every owned risk of the framework and whether it has a return for ``period``."""
    risks = [risk for risk in load_risks(session, framework_id) if risk.owners]
    found = latest_returns(session, period, [risk.id for risk in risks])
    return RiskProgress(tuple(
        RiskStatus(risk, found[risk.id].score if risk.id in found else None,
                   found[risk.id].version if risk.id in found else None) for risk in risks))


def my_risks(session: Session, period: Period, *, slack_id: str | None = None,
             person_id: int | None = None, framework_id: int | None = None
             ) -> list[RiskStatus]:
    """The risks a person owns (in every framework, or in ``framework_id``'s), with their
    return for ``period``."""
    found = []
    frameworks = ([framework_id] if framework_id is not None
                  else session.exec(select(Framework.id)).all())
    for framework_id in frameworks:
        for item in risk_progress(session, period, framework_id).risks:
            if any((person.id == person_id) if person_id is not None
                   else (slack_id and person.slack_id == slack_id)
                   for person in item.risk.owners):
                found.append(item)
    return found


@dataclass(frozen=True)
class RiskPrompts:
    recorded: int  # newly recorded now
    emailed: int  # owners reached by email
    missing: list[Person]  # owners no channel reaches


def record_risk_prompts(
    session: Session, round_: Round, period: Period, *, email_enabled: bool,
    channels: Channels | None = None,
) -> RiskPrompts:
    """Record a prompt per owner per risk (one email per owner by email) on this deployment's
    ``channels`` (default: Slack, and email with ``email_enabled``). Opening again records only
    new ones."""
    channels = channels or Channels(email=email_enabled)
    recorded = 0
    missing: dict[int, Person] = {}
    by_email: dict[int, tuple[Person, str, list[dict[str, Any]]]] = {}
    risks = load_risks(session, round_.framework_id)
    in_teams = _in_teams(session, risks, channels)
    for risk in risks:
        previous, carried_from = previous_score(session, risk.id, period)
        about = {"risk_id": risk.id, "number": risk.number, "title": risk.title,
                 "theme": risk.theme, "previous_score": previous,
                 "carried_from": carried_from, "target": risk.target,
                 "appetite": risk.appetite,
                 "joint_owners": list(risk.owner_names)}
        for person in risk.owners:
            reach = channels.reach(channel=person.channel, slack_id=person.slack_id,
                                   email=person.email, teams_id=in_teams.get(person.id or 0))
            if reach.via is None:
                missing.setdefault(person.id or 0, person)
                continue
            if reach.via == EMAIL:
                by_email.setdefault(person.id or 0, (person, reach.to or "", []))[2].append(
                    about)
                continue
            _, created = record_message(
                session, key=f"{RISK_PROMPT}:{period.slug}:{risk.id}:{person.id}",
                kind=RISK_PROMPT, period_id=round_.period_id, person_id=person.id,
                via=TEAMS if reach.via == TEAMS else None,
                payload={"to": reach.to, "person_name": person.name,
                         "period": period.label, "deadline": _iso(round_), **about})
            recorded += created
    for person, address, risks in by_email.values():
        ids = ",".join(str(item["risk_id"]) for item in risks)
        digest = hashlib.sha256(ids.encode()).hexdigest()[:12]
        _, created = record_message(
            session, key=f"{RISK_PROMPT}:{period.slug}:email:{person.id}:{digest}",
            kind=RISK_PROMPT, period_id=round_.period_id, person_id=person.id, via=EMAIL,
            payload={"to": address, "person_name": person.name, "period": period.label,
                     "deadline": _iso(round_), "round_id": round_.id, "risks": risks})
        recorded += created
    return RiskPrompts(recorded, len(by_email), list(missing.values()))


def record_risk_reminders(
    session: Session, round_: Round, period: Period, stage: str, *, email_enabled: bool,
    channels: Channels | None = None,
) -> int:
    """One reminder per owner with a risk still outstanding, listing those risks."""
    channels = channels or Channels(email=email_enabled)
    per_person: dict[int, tuple[Person, str, str | None, list[dict[str, Any]]]] = {}
    outstanding = risk_progress(session, period, round_.framework_id).outstanding
    in_teams = _in_teams(session, [item.risk for item in outstanding], channels)
    for item in outstanding:
        for person in item.risk.owners:
            reach = channels.reach(channel=person.channel, slack_id=person.slack_id,
                                   email=person.email, teams_id=in_teams.get(person.id or 0))
            if reach.via is None:
                continue
            per_person.setdefault(person.id or 0, (person, reach.to or "", reach.via, []))[
                3].append({"risk_id": item.risk.id, "number": item.risk.number,
                           "title": item.risk.title, "theme": item.risk.theme})
    recorded = 0
    for person_id, (person, to, via, risks) in per_person.items():
        _, created = record_message(
            session, key=f"{RISK_REMINDER}:{period.slug}:{stage}:{person_id}",
            kind=RISK_REMINDER, period_id=round_.period_id, person_id=person_id,
            via=via if via in (EMAIL, TEAMS) else None,
            payload={"to": to, "person_name": person.name, "period": period.label,
                     "deadline": _iso(round_), "round_id": round_.id, "stage": stage,
                     "risks": risks})
        recorded += created
    return recorded


def _in_teams(session: Session, risks: list[RiskInfo], channels: Channels) -> dict[int, str]:
    """person id -> AAD object id of the owners Teams reaches now (when it is set up)."""
    if not channels.teams:
        return {}
    return teams_ids(session, {person.id for risk in risks for person in risk.owners
                               if person.id is not None})


def _iso(round_: Round) -> str | None:
    return round_.deadline.isoformat() if round_.deadline else None
