"""Personal web form links: signed for one person and one round, refused clearly otherwise.

A link is ``{RAGTIME_PUBLIC_URL}/form/{token}``; the token is ``{"p": person id, "r": round id}``
signed with ``RAGTIME_SECRET_KEY`` (itsdangerous, salt ``ragtime-form-link``) and stamped with
the time it was made (on the app's clock). Reading it back (``read_link``) gives the person and
round, or why not:

- ``tampered``: not a token Ragtime signed (or the person or round no longer exists);
- ``expired``: after the round's deadline plus ``RAGTIME_LINK_GRACE_DAYS`` (a round without a
  deadline: ``LINK_MAX_AGE`` after the link was made);
- ``revoked``: made before a revocation of the person's links (``revoke_links``);
- ``closed``: the round is closed, frozen or its report approved.

A page that posts carries a second signed token (``form_token``, salt ``ragtime-form-post``)
tied to the link and holding a random nonce: the CSRF token, and the idempotency key of what
the page submits (a replayed POST stores nothing twice).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.framework.choice import choose_framework
from storage.db import session_scope
from storage.models import (
    Framework,
    LinkRevocation,
    PeriodRecord,
    Person,
    Round,
    RoundStatus,
)
from storage.repo import audit, find_period

if TYPE_CHECKING:
    from bot.context import AppContext

LINK_SALT = "ragtime-form-link"
FORM_SALT = "ragtime-form-post"
FORM_PATH = "/form/"
LINK_MAX_AGE = timedelta(days=180)  # rounds without a deadline
FORM_MAX_AGE = timedelta(hours=24)  # a page left open longer is re-opened from the link

Refusal = Literal["tampered", "expired", "revoked", "closed"]

REFUSALS: dict[Refusal, str] = {
    "tampered": "This link is not valid. Check that you copied the whole link from your email, "
                "or ask the governance team for a new one.",
    "expired": "This link has expired: the deadline for this quarter's updates has passed. "
               "Ask the governance team if you still need to send your update.",
    "revoked": "This link has been withdrawn. The governance team can send you a new one.",
    "closed": "Updates for this quarter are closed: the board report has been finalised. "
              "Ask the governance team if something needs to change.",
}


class LinkError(Exception):
    """A link that cannot be made or revoked; ``str(error)`` says why."""


@dataclass(frozen=True)
class LinkAccess:
    """Who a valid link is for and which round it opens."""

    person_id: int
    person_name: str
    round_id: int
    framework_id: int
    framework_name: str
    period: Period
    deadline: date | None
    expires: date | None  # the last day the link works (None: LINK_MAX_AGE after issue)


@dataclass(frozen=True)
class LinkCheck:
    """``access`` for a valid link, else ``refused`` (with ``message`` for the person)."""

    access: LinkAccess | None = None
    refused: Refusal | None = None

    @property
    def message(self) -> str:
        return REFUSALS[self.refused] if self.refused else ""


@dataclass(frozen=True)
class Revoked:
    person: str
    period: Period | None  # None: every round


def personal_link(ctx: AppContext, *, person_id: int, round_id: int) -> str:
    """The absolute URL of ``person_id``'s form for ``round_id`` (``SettingsError`` naming the
    setting when ``RAGTIME_PUBLIC_URL`` or ``RAGTIME_SECRET_KEY`` is missing)."""
    public_url, _key = ctx.settings.require_form()
    token = _serializer(ctx, LINK_SALT).dumps({"p": person_id, "r": round_id})
    return f"{public_url}{FORM_PATH}{token}"


def read_link(ctx: AppContext, token: str) -> LinkCheck:
    """The person and round ``token`` opens, or why it is refused."""
    try:
        payload, issued = _serializer(ctx, LINK_SALT).loads(
            token, max_age=int(LINK_MAX_AGE.total_seconds()), return_timestamp=True)
    except SignatureExpired:
        return LinkCheck(refused="expired")
    except BadData:
        return LinkCheck(refused="tampered")
    person_id, round_id = _ids(payload)
    if person_id is None or round_id is None:
        return LinkCheck(refused="tampered")
    with session_scope(ctx.engine) as session:
        return _check(session, ctx, person_id, round_id, issued)


def revoke_links(
    ctx: AppContext, *, person: str, period: Period | None = None,
    framework: str | None = None, by: str,
) -> Revoked:
    """Withdraw every link issued so far to ``person`` (their key in the framework file, or
    their email) for ``period``'s round, or for every round without ``period``. Links made
    afterwards work."""
    with session_scope(ctx.engine, write=True) as session:
        found = _person(session, person)
        round_id = None
        if period is not None:
            round_ = _round_of(session, period, framework)
            round_id = round_.id
        session.add(LinkRevocation(person_id=found.id or 0, round_id=round_id,
                                   revoked_at=ctx.now(), revoked_by=by))
        audit(session=session, actor=by, action="links.revoked", subject=f"person:{found.key}",
              period=period.label if period else None)
        return Revoked(person=found.name, period=period)


def form_token(ctx: AppContext, link_token: str) -> str:
    """A signed token for one page of the form opened with ``link_token``: its CSRF token and,
    through its nonce, the idempotency key of what it submits."""
    return _serializer(ctx, FORM_SALT).dumps(
        {"l": _fingerprint(link_token), "n": secrets.token_urlsafe(12)})


def form_nonce(ctx: AppContext, link_token: str, token: str | None) -> str | None:
    """The nonce of a form token made for ``link_token`` and at most ``FORM_MAX_AGE`` old, else
    None (missing, forged, made for another link, too old)."""
    if not token:
        return None
    try:
        payload = _serializer(ctx, FORM_SALT).loads(
            token, max_age=int(FORM_MAX_AGE.total_seconds()))
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("l") != _fingerprint(link_token):
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) and nonce else None


# ------------------------------------------------------------------------------ helpers

def _serializer(ctx: AppContext, salt: str) -> URLSafeTimedSerializer:
    _url, key = ctx.settings.require_form()
    return URLSafeTimedSerializer(key, salt=salt, signer=_clock_signer(ctx.now))


def _clock_signer(clock: Callable[[], datetime]) -> type[TimestampSigner]:
    """Timestamps on the app's clock, so expiry and revocation agree with it (and tests)."""

    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockSigner


def _fingerprint(link_token: str) -> str:
    return hashlib.sha256(link_token.encode()).hexdigest()[:32]


def _ids(payload: object) -> tuple[int | None, int | None]:
    if not isinstance(payload, dict):
        return None, None
    person, round_ = payload.get("p"), payload.get("r")
    valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (person, round_))
    return (person, round_) if valid else (None, None)  # type: ignore[return-value]


def _check(
    session: Session, ctx: AppContext, person_id: int, round_id: int, issued: datetime
) -> LinkCheck:
    person = session.get(Person, person_id)
    round_ = session.get(Round, round_id)
    if person is None or round_ is None:
        return LinkCheck(refused="tampered")
    if _revoked(session, person_id, round_id, issued):
        return LinkCheck(refused="revoked")
    if round_.status == RoundStatus.closed or round_.frozen or round_.approved_at is not None:
        return LinkCheck(refused="closed")
    expires = (round_.deadline + timedelta(days=ctx.settings.link_grace_days)
               if round_.deadline else None)
    if expires is not None and ctx.today() > expires:
        return LinkCheck(refused="expired")
    record = session.get(PeriodRecord, round_.period_id)
    framework = session.get(Framework, round_.framework_id)
    if record is None or framework is None:
        return LinkCheck(refused="tampered")
    return LinkCheck(access=LinkAccess(
        person_id=person_id, person_name=person.name, round_id=round_id,
        framework_id=framework.id or 0, framework_name=framework.name,
        period=Period(record.fy, record.quarter), deadline=round_.deadline, expires=expires))


def _revoked(session: Session, person_id: int, round_id: int, issued: datetime) -> bool:
    """A revocation of this person's links (for this round or all) made at or after the link
    (link times are whole seconds: a link made in the same second as a revocation is refused)."""
    times = session.exec(
        select(LinkRevocation.revoked_at).where(
            LinkRevocation.person_id == person_id,
            or_(col(LinkRevocation.round_id).is_(None), LinkRevocation.round_id == round_id))
    ).all()
    return any(_utc(at).replace(microsecond=0) >= _utc(issued) for at in times)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _person(session: Session, name: str) -> Person:
    wanted = name.strip()
    person = session.exec(select(Person).where(Person.key == wanted)).first()
    if person is None and "@" in wanted:
        person = session.exec(
            select(Person).where(Person.email.ilike(wanted))  # type: ignore[union-attr]
        ).first()
    if person is None:
        raise LinkError(f"No person '{wanted}' in the framework: give their id (as in the "
                        "framework file) or their email.")
    return person


def _round_of(session: Session, period: Period, framework: str | None) -> Round:
    chosen = choose_framework(session, framework)
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    round_ = session.exec(select(Round).where(
        Round.framework_id == chosen.id, Round.period_id == record.id)).first() if record else None
    if round_ is None:
        raise LinkError(f"No round has been opened for {period.label}.")
    return round_
