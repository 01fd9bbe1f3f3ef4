"""Simulated Slack clients: people clicking, submitting, replying and running slash commands.

Each client is a thread playing Slack's side for one person: it POSTs requests shaped and signed
exactly as Slack sends them (``tests.support.slack_requests``) and times each one from the first
byte sent to the last byte of the HTTP answer. It behaves as Slack does for a person: a click
carries the button Slack was given (the prompt message's own ``open_update`` value), and the
modal it submits is the one the app opened for that click, filled in field by field.

Against the floor app no modal ever opens, so there the client submits a form of the same shape
and size; everything else (the mix, the pauses, the payloads) is the same in both runs.
"""

from __future__ import annotations

import http.client
import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from tests.support.slack_requests import (
    SIGNING_SECRET,
    SlackRequest,
    block_actions,
    button,
    dm_message,
    signed_headers,
    slash_command,
    view_submission,
)

EVENTS_PATH = "/slack/events"
FORM_WAIT_SECONDS = 10.0
KINDS = ("click", "submit", "reply", "status", "compile")
UNACKNOWLEDGED = "modal without an ack"

_tokens = itertools.count(1)


@dataclass(frozen=True)
class Sample:
    kind: str  # one of KINDS
    seconds: float  # request sent → HTTP answer read
    status: int  # HTTP status, 0 when the connection failed or timed out
    body: str


@dataclass(frozen=True)
class Expected:
    """A submission the app accepted, so it must be stored exactly once."""

    token: str  # unique text in its narrative
    via: str  # "modal", "thread", or UNACKNOWLEDGED (a modal Slack would show as failed)
    user: str


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sample(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def expect(self, item: Expected) -> None:
        with self.lock:
            self.expected.append(item)

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)

    def seconds(self, kind: str | None = None) -> list[float]:
        with self.lock:
            return [s.seconds for s in self.samples if kind is None or s.kind == kind]


@dataclass(frozen=True)
class Prompt:
    channel: str
    ts: str
    value: str


@dataclass(frozen=True)
class Plan:
    """What every client does, the same against the floor and against Ragtime."""

    seconds: float
    think: float = 1.0  # mean pause between one person's actions (exponential)
    compile_every: float = 30.0  # a governance lead's /compile-report, first at 20% in; 0: never
    seed: int = 0
    weights: tuple[tuple[str, int], ...] = (("modal", 4), ("reply", 3), ("status", 2))
    # The overload mode (``--overload``): no pause at all, and a click is done once answered;
    # a person submits a form opened by an earlier click (when one has arrived), so nobody
    # waits for the worker before sending the next request.
    overload: bool = False
    overload_weights: tuple[tuple[str, int], ...] = (
        ("open", 2), ("submit", 3), ("reply", 3), ("status", 2))


class SlackTransport:
    """POSTs signed requests to one app's ``/slack/events``."""

    def __init__(self, base_url: str, response_url: Callable[[], str],
                 timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.response_url = response_url
        self.timeout = timeout

    def post(self, request: SlackRequest) -> tuple[int, str, float]:
        """(status, body, seconds); status 0 when no HTTP answer came."""
        body = request.body.encode()
        headers = {"Content-Type": request.content_type,
                   **signed_headers(SIGNING_SECRET, request.body)}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request("POST", EVENTS_PATH, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            return response.status, text, time.perf_counter() - started
        except (OSError, http.client.HTTPException) as error:
            return 0, f"{type(error).__name__}: {error}", time.perf_counter() - started
        finally:
            connection.close()


class Person(threading.Thread):
    """One simulated person working through ``plan`` until its time is up."""

    def __init__(
        self,
        user: str,
        prompts: list[Prompt],
        transport: SlackTransport,
        recorder: Recorder,
        plan: Plan,
        *,
        slack: Any | None,
        lead: bool = False,
        index: int = 0,
    ) -> None:
        super().__init__(name=f"client-{user}", daemon=True)
        self.user = user
        self.prompts = prompts
        self.transport = transport
        self.recorder = recorder
        self.plan = plan
        self.slack = slack  # SlackSide proxy; None against the floor
        self.lead = lead
        self.rng = random.Random(plan.seed * 100_003 + index)
        self.deadline = 0.0
        self.opening: list[Any] = []  # overload: trigger ids (or floor forms) of clicks made

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        started = time.monotonic()
        self.deadline = started + self.plan.seconds
        next_compile = (started + self.plan.seconds * 0.2 if self.plan.compile_every > 0
                        else float("inf"))
        self._pause()
        while time.monotonic() < self.deadline:
            if self.lead and time.monotonic() >= next_compile:
                self._send("compile", slash_command(
                    "/compile-report", "", user_id=self.user,
                    response_url=self.transport.response_url()))
                next_compile += self.plan.compile_every
            elif self.lead or not self.prompts:
                self._send("status", self._status())
            elif self.plan.overload:
                self._overload_action()
            else:
                action = self.rng.choices([a for a, _ in self.plan.weights],
                                          [w for _, w in self.plan.weights])[0]
                if action == "modal":
                    self._modal()
                elif action == "reply":
                    self._reply()
                else:
                    self._send("status", self._status())
            self._pause()

    def _overload_action(self) -> None:
        action = self.rng.choices([a for a, _ in self.plan.overload_weights],
                                  [w for _, w in self.plan.overload_weights])[0]
        if action == "submit":
            view = self._opened_form()
            if view is not None:
                self._submit(view)
                return
            action = "open"  # no form open yet: open one
        if action == "open":
            self._open()
        elif action == "reply":
            self._reply()
        else:
            self._send("status", self._status())

    def _open(self) -> None:
        """Click a prompt's button; the form it opens is submitted by a later action."""
        prompt = self.rng.choice(self.prompts)
        click = block_actions(
            [button("open_update", prompt.value, block_id="prompt", text="Submit update")],
            user_id=self.user, channel_id=prompt.channel, message_ts=prompt.ts,
            response_url=self.transport.response_url(),
        )
        trigger = click_trigger(click)
        status, _ = self._send("click", click)
        if status == 200:
            self.opening.append(trigger if self.slack is not None else floor_form(prompt.value))

    def _opened_form(self) -> dict[str, Any] | None:
        """A form an earlier click opened that the app has filled by now (oldest first)."""
        for n, opening in enumerate(self.opening):
            view = opening if isinstance(opening, dict) else self.slack.form_for(opening, 0)
            if view is not None:
                del self.opening[n]
                return view
        return None

    def _pause(self) -> bool:
        """About ``think`` seconds (exponentially distributed); none at all with ``--think 0``,
        the overload mode: every client sends its next request as soon as it has an answer.
        False when the run ended during the pause: cut short there, so nothing may follow it
        (else every client paused at the end would send at the same instant)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return False
        if self.plan.think > 0:
            pause = self.rng.expovariate(1 / self.plan.think)
            time.sleep(min(left, pause))
            return pause < left
        return True

    def _send(self, kind: str, request: SlackRequest) -> tuple[int, str]:
        status, body, seconds = self.transport.post(request)
        self.recorder.sample(Sample(kind, seconds, status, body[:500]))
        if status != 200:
            self.recorder.problem(f"{kind} by {self.user}: HTTP {status} {body[:200]}")
        return status, body

    # -- actions -----------------------------------------------------------------------------

    def _status(self) -> SlackRequest:
        return slash_command("/report-status", "", user_id=self.user,
                             response_url=self.transport.response_url())

    def _modal(self) -> None:
        prompt = self.rng.choice(self.prompts)
        click = block_actions(
            [button("open_update", prompt.value, block_id="prompt", text="Submit update")],
            user_id=self.user, channel_id=prompt.channel, message_ts=prompt.ts,
            response_url=self.transport.response_url(),
        )
        trigger = click_trigger(click)
        status, _ = self._send("click", click)
        if status != 200:
            return
        if self.slack is not None:
            view = self.slack.form_for(trigger, FORM_WAIT_SECONDS)
            if view is None:
                self.recorder.problem(f"no form opened for {self.user}'s click")
                return
        else:
            view = floor_form(prompt.value)
        if self._pause():  # filling in the form, unless the run ends first
            self._submit(view)

    def _submit(self, view: dict[str, Any]) -> None:
        token = new_token(self.user, "modal")
        values = fill_form(view, token, self.rng)
        status, body = self._send("submit", view_submission(
            view.get("callback_id") or "update_modal", values,
            private_metadata=view.get("private_metadata") or "", user_id=self.user,
            view_id=view["id"], view_hash=view.get("hash") or "", blocks=view.get("blocks")))
        if status == 200 and "response_action" not in body:  # an empty ack: stored
            self.recorder.expect(Expected(token, "modal", self.user))
        elif status == 200:
            self.recorder.problem(f"form refused for {self.user}: {body[:200]}")
        else:  # Slack shows the person an error; the app may still have stored it
            self.recorder.expect(Expected(token, UNACKNOWLEDGED, self.user))

    def _reply(self) -> None:
        prompt = self.rng.choice(self.prompts)
        token = new_token(self.user, "thread")
        text = self.rng.choice([
            f"Green - {token}",
            f"Amber: {token}\nRecovery: estates works rescheduled\nBy: {_future(90):%d/%m/%Y}",
        ])
        status, _ = self._send("reply", dm_message(text, user=self.user, channel=prompt.channel,
                                                   thread_ts=prompt.ts))
        if status == 200:
            self.recorder.expect(Expected(token, "thread", self.user))


def click_trigger(request: SlackRequest) -> str:
    import json
    from urllib.parse import parse_qs

    payload = json.loads(parse_qs(request.body)["payload"][0])
    return str(payload["trigger_id"])


def new_token(user: str, via: str) -> str:
    return f"bench-{via}-{user}-{next(_tokens)}-{uuid.uuid4().hex[:6]}"


def _future(days: int) -> date:
    return date.today() + timedelta(days=days)


def fill_form(view: dict[str, Any], token: str, rng: random.Random) -> dict[str, Any]:
    """``state.values`` for a person filling in every input of ``view``: a rating chosen at
    random, ``token`` as the narrative, and a recovery plan and reason (so the rules pass)."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        kind = element.get("type")
        name = block.get("block_id")
        if kind in ("static_select", "radio_buttons"):
            options = element.get("options") or []
            if not options:
                continue
            entered: dict[str, Any] = {"selected_option": rng.choice(options)}
        elif kind == "datepicker":
            entered = {"selected_date": _future(90).isoformat()}
        elif kind == "plain_text_input":
            text = {"narrative": token, "recovery_action": "Estates works rescheduled",
                    "change_reason": "Funding confirmed this quarter"}.get(name, "n/a")
            entered = {"value": text}
        else:
            continue
        values[name] = {element.get("action_id", "value"): {"type": kind, **entered}}
    return values


def floor_form(value: str) -> dict[str, Any]:
    """A form of the same shape as Ragtime's update form, for the floor run."""
    def text_input(block_id: str) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "optional": block_id != "narrative",
                "label": {"type": "plain_text", "text": block_id},
                "element": {"type": "plain_text_input", "action_id": "value",
                            "multiline": True}}

    options = [{"text": {"type": "plain_text", "text": word}, "value": word}
               for word in ("red", "amber", "green")]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Deliverable* " + "x" * 120}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Last quarter · Deadline"}]},
        {"type": "divider"},
        {"type": "input", "block_id": "rag", "label": {"type": "plain_text", "text": "RAG"},
         "element": {"type": "static_select", "action_id": "value", "options": options}},
        text_input("narrative"),
        text_input("recovery_action"),
        {"type": "input", "block_id": "recovery_date", "optional": True,
         "label": {"type": "plain_text", "text": "Expected recovery date"},
         "element": {"type": "datepicker", "action_id": "value"}},
        text_input("change_reason"),
    ]
    return {"id": f"V{uuid.uuid4().hex[:10].upper()}", "hash": uuid.uuid4().hex[:20],
            "callback_id": "update_modal", "private_metadata": value, "blocks": blocks}


def run_people(people: list[Person]) -> None:
    for person in people:
        person.start()
    for person in people:
        person.join()
