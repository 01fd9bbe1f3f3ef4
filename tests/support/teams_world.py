"""Ragtime on Teams alone (no Slack setting), served over real HTTP with its worker's threads in
the test process, against the fake Microsoft identity service and the fake Bot Framework
connector; and the Teams side of people: installs, typed messages and card actions, each a real
activity with a signed token."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.context import AppContext, utc_now
from bot.settings import Settings, load_settings
from ragtime.http_server import HttpServer, make_server
from ragtime.wiring import teams_context
from ragtime.worker import Worker
from tests.faketeams import APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeIdentity
from tests.support.example_db import load_example_into
from tests.support.served_app import POLL_SECONDS, waiting_for_worker

_ids = itertools.count(1)


def teams_settings(identity: FakeIdentity, database_url: str, **overrides: object) -> Settings:
    return load_settings(**{
        "RAGTIME_TEAMS_APP_ID": APP_ID, "RAGTIME_TEAMS_APP_PASSWORD": APP_PASSWORD,
        "RAGTIME_TEAMS_TENANT_ID": TENANT_ID,
        "RAGTIME_TEAMS_LOGIN_URL": identity.login_url,
        "RAGTIME_TEAMS_OPENID_METADATA_URL": identity.metadata_url,
        "DATABASE_URL": database_url, **overrides})


@dataclass(frozen=True)
class TeamsUser:
    aad: str
    name: str
    email: str

    @property
    def user_id(self) -> str:
        return f"29:{self.aad}"

    @property
    def conversation(self) -> str:
        return f"a:personal-{self.aad}"


@dataclass
class TeamsWorld:
    ctx: AppContext
    server: HttpServer
    worker: Worker
    identity: FakeIdentity
    connector: FakeConnector
    responses: list[dict[str, Any]] = field(default_factory=list)

    # -- people ----------------------------------------------------------------------------
    def activity(self, user: TeamsUser, kind: str, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": kind, "id": f"f:{next(_ids)}", "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": {"id": user.user_id, "name": user.name, "aadObjectId": user.aad},
            "recipient": {"id": f"28:{APP_ID}", "name": "Ragtime"},
            "conversation": {"id": user.conversation, "conversationType": "personal",
                             "tenantId": TENANT_ID},
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        body.update(changes)
        return body

    def post(self, activity: dict[str, Any], *, token: str | None = None
             ) -> tuple[int, dict[str, Any] | None]:
        token = token or self.identity.activity_token(self.connector.service_url)
        request = urllib.request.Request(
            f"{self.server.url}/api/messages", data=json.dumps(activity).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, None

    def install(self, user: TeamsUser) -> None:
        """The user adds Ragtime for themselves: Teams knows their email."""
        self.connector.add_member(user_id=user.user_id, aad_object_id=user.aad,
                                  name=user.name, email=user.email)
        status, _ = self.post(self.activity(user, "installationUpdate", action="add"))
        assert status == 200

    def submit(self, user: TeamsUser, data: dict[str, Any], *, verb: str = "submit_update"
               ) -> dict[str, Any]:
        """The user presses a card's button (Submit by default): ``data`` is the action's data
        with the card's inputs."""
        status, body = self.post(self.activity(
            user, "invoke", name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}}))
        assert status == 200 and body is not None
        self.responses.append(body)
        return body

    # -- what they see ---------------------------------------------------------------------
    def cards_to(self, user: TeamsUser) -> list[dict[str, Any]]:
        """The card of every activity posted in the user's conversation, oldest first."""
        return [activity["attachments"][0]["content"]
                for activity in self.connector.sent(user.conversation)]

    def settle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while (waiting := waiting_for_worker(self.ctx.engine)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not waiting, f"the worker did not settle within {timeout} s: {waiting}"


def serve_teams(settings: Settings, identity: FakeIdentity, connector: FakeConnector, *,
                engine: Engine | None = None, clock: Callable[[], datetime] = utc_now
                ) -> TeamsWorld:
    ctx = teams_context(settings, engine=engine, clock=clock)
    server = make_server(None, ctx, threads=8).start()
    worker_ctx = teams_context(settings, engine=ctx.engine, clock=clock)
    worker = Worker(None, worker_ctx, poll=POLL_SECONDS).start()
    return TeamsWorld(ctx, server, worker, identity, connector)


def stop_teams(world: TeamsWorld) -> None:
    world.server.stop()
    world.worker.stop()


@contextmanager
def teams_on_example(identity: FakeIdentity, connector: FakeConnector, engine: Engine, *,
                     clock: Callable[[], datetime] = utc_now, **settings: object
                     ) -> Iterator[TeamsWorld]:
    """The bundled example in ``engine``'s empty database, and Ragtime on Teams alone served on
    it (``teams_settings`` with ``settings`` over them); stopped on leaving."""
    load_example_into(engine)
    url = engine.url.render_as_string(hide_password=False)
    world = serve_teams(teams_settings(identity, url, **settings), identity, connector,
                        engine=engine, clock=clock)
    try:
        yield world
    finally:
        stop_teams(world)


def texts(card: dict[str, Any]) -> list[str]:
    """Every text a card shows, in order (TextBlocks and the runs of RichTextBlocks)."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == "TextBlock" or item.get("type") == "TextRun":
                found.append(str(item.get("text", "")))
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(card.get("body", []))
    return found


def field_errors(card: dict[str, Any]) -> dict[str, str]:
    """Input id -> the message shown right after it (in Attention colour)."""
    errors: dict[str, str] = {}
    body = card.get("body", [])
    for index, item in enumerate(body[:-1]):
        after = body[index + 1]
        if item.get("type", "").startswith("Input.") and after.get("type") == "RichTextBlock":
            run = after["inlines"][0]
            if run.get("color") == "Attention":
                errors[item["id"]] = run["text"]
    return errors
