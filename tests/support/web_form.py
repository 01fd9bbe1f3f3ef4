"""The web form served for real: Ragtime (Flask on waitress, port 0) with the form switched on,
the small collection world (``tests.support.collection_world``) and an open 2024/25 Q2 round.

``WebWorld.link(person)`` makes a person's signed link as the email would carry it;
``get``/``post`` speak plain HTTP (urllib) and return status, headers and the page text;
``form_fields(page)`` reads a page's form back (hidden token and pre-filled values).
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.collection.links import personal_link
from bot.collection.updates import submit_update
from storage.db import session_scope
from storage.models import Round, Source, Update
from tests.fakeslack import FakeSlack
from tests.support.collection_world import World, build_world
from tests.support.rounds import open_rounds
from tests.support.served_app import ServedApp, serve, settings_for, stop

Q1 = Period(2024, 1)
Q2 = Period(2024, 2)
START = datetime(2024, 10, 10, 9, 0, tzinfo=UTC)
DEADLINE = date(2024, 10, 18)
SECRET = "test-secret-key-for-the-web-form-links-0123456789"
PUBLIC_URL = "https://ragtime.example.nhs.uk"


class Clock:
    """The app's clock; tests move it (links are stamped and checked on it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]
    text: str

    def field(self, name: str) -> str | None:
        return form_fields(self.text).get(name)


@dataclass
class WebWorld:
    served: ServedApp
    world: World
    clock: Clock
    engine: Engine
    round_id: int

    @property
    def url(self) -> str:
        return self.served.url

    def link(self, person: str) -> str:
        """The person's link, on the served address instead of the public one."""
        public = personal_link(self.served.ctx, person_id=self.world.people[person],
                               round_id=self.round_id)
        assert public.startswith(PUBLIC_URL + "/form/")
        return self.url + public.removeprefix(PUBLIC_URL)

    def get(self, url: str) -> Page:
        return _call(urllib.request.Request(url))

    def post(self, url: str, fields: dict[str, str]) -> Page:
        data = urllib.parse.urlencode(fields).encode()
        return _call(urllib.request.Request(
            url, data=data, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"}))

    def updates(self, deliverable_id: int) -> list[Update]:
        with session_scope(self.engine) as session:
            rows = session.exec(select(Update).where(Update.deliverable_id == deliverable_id)
                                .order_by(Update.submitted_at, Update.version)).all()
            for row in rows:
                session.expunge(row)
            return list(rows)


def _call(request: urllib.request.Request) -> Page:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Page(response.status, dict(response.headers),
                        response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        with error:
            return Page(error.code, dict(error.headers), error.read().decode("utf-8"))


def form_fields(page: str) -> dict[str, str]:
    """Hidden and text inputs, checked radios and textareas of a page, by name."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        name = attrs.get("name")
        if not name or (attrs.get("type") == "radio" and " checked" not in tag):
            continue
        fields[name] = html.unescape(attrs.get("value", ""))
    for name, text in re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page,
                                 re.S):
        fields[name] = html.unescape(text)
    return fields


def web_settings(fake: FakeSlack, database_url: str, **overrides: object):
    return settings_for(fake, database_url, public_url=PUBLIC_URL, secret_key=SECRET,
                        **overrides)


def open_q2(engine: Engine, world: World) -> int:
    """The Q2 round (deadline Fri 18 Oct 2024) and last quarter's answers to compare with."""
    open_rounds(engine, Q1, framework_id=world.framework_id)  # last quarter's, answered
    with session_scope(engine, write=True) as session:
        record = stored_period(session, Q2)
        round_ = Round(framework_id=world.framework_id, period_id=record.id or 0,
                       deadline=DEADLINE, opened_by="test")
        session.add(round_)
        session.flush()
        round_id = round_.id or 0
        for deliverable, person in ((world.wellbeing, None), (world.research, "U0BHANU")):
            submit_update(session, actor_slack_id=person or "", deliverable_id=deliverable,
                          actor_person_id=None if person else world.people["rarnold"],
                          period=Q1, rag="green", narrative="On track in Q1.",
                          source=Source.imported, now=START - timedelta(days=90))
    return round_id


def serve_web(engine: Engine, fake: FakeSlack, database_url: str, **overrides: object
              ) -> Iterator[WebWorld]:
    world = build_world(engine)
    round_id = open_q2(engine, world)
    clock = Clock(START)
    served = serve(web_settings(fake, database_url, **overrides), fake, engine=engine,
                   clock=clock)
    try:
        yield WebWorld(served, world, clock, engine, round_id)
    finally:
        stop(served)


@pytest.fixture
def web(any_engine: Engine, fake_slack: FakeSlack) -> Iterator[WebWorld]:
    """The form served on SQLite and on PostgreSQL."""
    yield from serve_web(any_engine, fake_slack, str(any_engine.url.render_as_string(
        hide_password=False)))


@pytest.fixture
def web_sqlite(engine: Engine, fake_slack: FakeSlack, sqlite_url: str) -> Iterator[WebWorld]:
    yield from serve_web(engine, fake_slack, sqlite_url)
