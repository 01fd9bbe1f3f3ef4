"""Scenario fixtures: the bundled example on a real SQLite file, Ragtime served over real HTTP
against the fake Slack, a fixed clock (Fri 20 Dec 2024, the 2024/25 Q3 round), and a harness that
plays the SROs' side (clicks, form submissions, thread replies) with signed requests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.collection.flows import OpenSummary, open_round_and_prompt
from bot.collection.updates import latest_update, update_history
from storage.db import session_scope
from storage.models import AuditEvent, ProcessedDelivery, Update
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.support.example_db import load_example_into
from tests.support.served_app import ServedApp, serve, settings_for, stop
from tests.support.slack_requests import (
    SimulatedResponse,
    block_actions,
    button,
    dm_message,
    input_value,
    selected_value,
    view_submission,
)

Q2 = Period(2024, 2)
Q3 = Period(2024, 3)
NOW = datetime(2024, 12, 20, 10, 0, tzinfo=UTC)

SHARON = "U0SHARON"  # deliverables 1-4
BHANU = "U0BHANU"  # joint SRO of 5-7 with James
JAMES = "U0JAMES"
PAUL = "U0PAUL"  # 8-10
JEAN = "U0JEAN"  # 11
SARAH = "U0SARAH"  # 12-15
DAVID = "U0DAVID"  # 16-17: not in Slack until a test adds him
LEAD = "U0LEAD"  # governance lead, owns nothing
OUTSIDER = "U0OUTSIDER"  # in Slack, owns nothing

IN_SLACK = {
    SHARON: "sharon.murphy@example.nhs.uk",
    BHANU: "bhanu.chadalavada@example.nhs.uk",
    JAMES: "james.mullins@example.nhs.uk",
    PAUL: "paul.sheldon@example.nhs.uk",
    JEAN: "jean.knight@example.nhs.uk",
    SARAH: "sarah.willis@example.nhs.uk",
    LEAD: "governance.lead@example.nhs.uk",
    OUTSIDER: "owen.side@example.nhs.uk",
}
DAVID_EMAIL = "david.williams@example.nhs.uk"
_people_ts = itertools.count(1)

OWNED = {SHARON: [1, 2, 3, 4], BHANU: [5, 6, 7], JAMES: [5, 6, 7], PAUL: [8, 9, 10],
         JEAN: [11], SARAH: [12, 13, 14, 15], DAVID: [16, 17]}


def serve_example(fake: FakeSlack, engine: Engine, database_url: str) -> ServedApp:
    """The bundled example loaded into ``engine`` and Ragtime served on it."""
    load_example_into(engine)
    for user, email in IN_SLACK.items():
        fake.add_user(user, email=email)
    settings = settings_for(fake, database_url, governance_leads_raw=LEAD)
    return serve(settings, fake, engine=engine, clock=lambda: NOW)


@pytest.fixture
def served(fake_slack: FakeSlack, engine: Engine, sqlite_url: str,  # noqa: F811 (the fixture)
           ) -> Iterator[ServedApp]:
    app = serve_example(fake_slack, engine, sqlite_url)
    try:
        yield app
    finally:
        stop(app)


@pytest.fixture
def on_each_database(fake_slack: FakeSlack, any_engine: Engine,  # noqa: F811 (the fixture)
                     ) -> Iterator[Harness]:
    """The Q3 round opened, once on SQLite and once on PostgreSQL."""
    app = serve_example(fake_slack, any_engine, str(any_engine.url))
    try:
        harness = Harness(app)
        harness.summary = harness.open_round()
        yield harness
    finally:
        stop(app)


@pytest.fixture
def slack(served: ServedApp) -> Harness:
    return Harness(served)


@pytest.fixture
def opened(slack: Harness) -> Harness:
    """The Q3 round opened by the governance lead, prompts delivered."""
    slack.summary = slack.open_round()
    return slack


@dataclass
class Prompt:
    channel: str
    ts: str
    message: dict[str, Any]

    @property
    def value(self) -> str:
        return button_of(self.message)["value"]

    @property
    def text(self) -> str:
        return blocks_text(self.message.get("blocks") or [])


class Harness:
    """The people's side of Slack, and what the fake Slack and the database saw."""

    def __init__(self, served: ServedApp) -> None:
        self.served = served
        self.fake: FakeSlack = served.fake
        self.ctx = served.ctx
        self.engine: Engine = served.ctx.engine
        self.summary: OpenSummary | None = None
        self._event_ts: dict[str, str] = {}

    # -- the lead -------------------------------------------------------------------------
    def open_round(self, period: Period = Q3) -> OpenSummary:
        summary = open_round_and_prompt(self.ctx, period, opened_by=LEAD)
        self.served.settle()
        return summary

    # -- prompts --------------------------------------------------------------------------
    def prompts(self, user: str) -> list[Prompt]:
        channel = self.fake.dm_channel_for(user)
        return [Prompt(channel, m["ts"], m) for m in self.fake.messages_in(channel)
                if "thread_ts" not in m and _has_block(m, "deliverable")]

    def prompt(self, user: str, deliverable_id: int) -> Prompt:
        for prompt in self.prompts(user):
            if json.loads(prompt.value)["d"] == deliverable_id:
                return Prompt(prompt.channel, prompt.ts,
                              self.fake.message(prompt.channel, prompt.ts))
        raise AssertionError(f"{user} has no prompt for deliverable {deliverable_id}")

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages_in(channel) if m.get("thread_ts") == ts]

    # -- the form -------------------------------------------------------------------------
    def click(self, user: str, value: str, *, action_id: str = "open_update",
              channel: str | None = None, ts: str | None = None,
              view: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Press a button; returns the view that replaced the loading view."""
        before = len(self.fake.calls("views.update"))
        opened_before = len(self.fake.calls("views.open"))
        request = block_actions(
            [button(action_id, value)], user_id=user,
            channel_id=channel or self.fake.dm_channel_for(user), message_ts=ts, view=view,
            response_url=self.fake.response_url(), **kwargs)
        assert self.served.slack.send(request).status == 200
        self.fake.wait_for("views.open", opened_before + 1)
        call = self.fake.wait_for("views.update", before + 1)[before]
        return self.fake.views[call.params["view_id"]]

    def open_form(self, user: str, deliverable_id: int) -> dict[str, Any]:
        prompt = self.prompt(user, deliverable_id)
        return self.click(user, prompt.value, channel=prompt.channel, ts=prompt.ts)

    def submit(self, user: str, form: dict[str, Any], *, rag: str | None = None,
               narrative: str | None = None, recovery_action: str | None = None,
               recovery_date: str | None = None, change_reason: str | None = None,
               metadata: str | None = None, retry_num: int | None = None, wait: bool = True
               ) -> SimulatedResponse:
        values: dict[str, dict[str, dict[str, Any]]] = {
            "rag": {"value": selected_value(rag, "static_select") if rag else
                    {"type": "static_select", "selected_option": None}},
            "narrative": {"value": input_value(narrative) if narrative is not None else
                          {"type": "plain_text_input", "value": None}},
            "recovery_action": {"value": input_value(recovery_action)
                                if recovery_action else
                                {"type": "plain_text_input", "value": None}},
            "recovery_date": {"value": {"type": "datepicker", "selected_date": recovery_date}},
            "change_reason": {"value": input_value(change_reason) if change_reason else
                              {"type": "plain_text_input", "value": None}},
        }
        request = view_submission(
            form["callback_id"], values, user_id=user, view_id=form["id"],
            view_hash=form["hash"], blocks=form["blocks"],
            private_metadata=form["private_metadata"] if metadata is None else metadata)
        response = self.served.slack.send(request, retry_num=retry_num)
        if wait and response.status == 200 and not response.body:  # kept: the worker stores it
            self.served.settle()
        return response

    def answer_by_form(self, user: str, deliverable_id: int, rag: str, narrative: str,
                       **fields: str) -> SimulatedResponse:
        form = self.open_form(user, deliverable_id)
        with self.follow_up(deliverable_id):
            response = self.submit(user, form, rag=rag, narrative=narrative, **fields)
            assert response.status == 200 and response.body == "", response.body
        return response

    @contextmanager
    def follow_up(self, deliverable_id: int) -> Iterator[None]:
        """Wait for what follows a stored update: every prompt of the deliverable updated, a
        confirmation, and a notice to each other prompted SRO."""
        prompted = [user for user, owned in OWNED.items() if deliverable_id in owned
                    and any(json.loads(p.value)["d"] == deliverable_id
                            for p in self.prompts(user))]
        updates = len(self.fake.calls("chat.update"))
        posts = len(self.fake.calls("chat.postMessage"))
        yield
        self.fake.wait_for("chat.update", updates + len(prompted))
        self.fake.wait_for("chat.postMessage", posts + max(1, len(prompted)))

    # -- thread replies -------------------------------------------------------------------
    def reply(self, user: str, text: str, thread_ts: str | None, *, event_id: str | None = None,
              retry_num: int | None = None, wait: bool = True) -> SimulatedResponse:
        before = len(self.fake.calls("chat.postMessage"))
        # The people's messages get their own ts range: never equal to a ts the fake gave out.
        # One event is one message: a retry (same event id) carries the same ts, as in Slack.
        ts = f"1900000000.{next(_people_ts):06d}"
        if event_id:
            ts = self._event_ts.setdefault(event_id, ts)
        response = self.served.slack.send(
            dm_message(text, user=user, channel=self.fake.dm_channel_for(user), ts=ts,
                       thread_ts=thread_ts, event_id=event_id), retry_num=retry_num)
        assert response.status == 200
        if wait:
            self.fake.wait_for("chat.postMessage", before + 1)
        return response

    def answer_by_reply(self, user: str, deliverable_id: int, text: str) -> dict[str, Any]:
        """Reply in the prompt's thread with a complete update; returns the bot's answer."""
        prompt = self.prompt(user, deliverable_id)
        with self.follow_up(deliverable_id):
            self.reply(user, text, prompt.ts, wait=False)
        return self.thread(prompt.channel, prompt.ts)[-1]

    # -- storage --------------------------------------------------------------------------
    def not_saved(self, user: str) -> list[str]:
        """The worker's DMs telling ``user`` that a form they submitted was not saved."""
        return [call.params["text"] for call in self.fake.calls("chat.postMessage")
                if call.params.get("channel") == user
                and "was not saved" in (call.params.get("text") or "")]

    def latest(self, deliverable_id: int, period: Period = Q3) -> Update | None:
        with session_scope(self.engine) as session:
            return latest_update(session, deliverable_id, period)

    def versions(self, deliverable_id: int, period: Period = Q3) -> list[Update]:
        with session_scope(self.engine) as session:
            return update_history(session, deliverable_id, period)

    def updates_count(self, period: Period = Q3) -> int:
        with session_scope(self.engine) as session:
            return sum(len(update_history(session, d, period)) for d in range(1, 18))

    def audit(self, action: str) -> list[AuditEvent]:
        with session_scope(self.engine) as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))

    def processed(self) -> list[str]:
        with session_scope(self.engine) as session:
            return [row.key for row in session.exec(select(ProcessedDelivery))]


# ------------------------------------------------------------------------------ block helpers

def _has_block(message: dict[str, Any], block_id: str) -> bool:
    return any(block.get("block_id") == block_id for block in message.get("blocks") or [])


def button_of(message: dict[str, Any], action_prefix: str = "open_update") -> dict[str, Any]:
    for element in elements(message.get("blocks") or []):
        if element.get("type") == "button" and element["action_id"].startswith(action_prefix):
            return element
    raise AssertionError(f"no {action_prefix} button in {message.get('blocks')}")


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        found += block.get("elements") or []
        if block.get("accessory"):
            found.append(block["accessory"])
    return found


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """All text a person would read in ``blocks``."""
    parts: list[str] = []
    for block in blocks:
        for key in ("text", "label", "hint"):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        parts += [field["text"] for field in block.get("fields") or []]
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def input_block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(block for block in view["blocks"] if block.get("block_id") == block_id)
