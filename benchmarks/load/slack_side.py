"""The fake Slack Web API in its own process, queried by the simulated clients.

``start_slack_side()`` starts a ``multiprocessing`` manager process that hosts a ``SlackSide``
and returns ``(manager, proxy)``; every method of the proxy runs in that process. Keeping the
fake out of the load generator's process means its work (answering the app's Web API calls,
300 ms apart) does not compete for the load generator's GIL while it times requests.

The lookups are what Slack itself knows: the prompt messages posted to each user (with their
buttons), and the modal a click's ``trigger_id`` opened (after the app replaced its loading view
with the form). Calls are indexed as they arrive, so lookups stay cheap however many there are.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import threading
import time
from multiprocessing.managers import BaseManager
from typing import Any

from tests.fakeslack import Call, FakeSlack
from tests.fakeslack.socket_mode import LinkURLs


class _IndexingFake(FakeSlack):
    """The fake Slack, also indexing each recorded call for the lookups below."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.index_lock = threading.Condition()
        self.prompts: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.opened: dict[str, str] = {}  # trigger_id -> view id
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def _record(self, call: Call) -> None:
        super()._record(call)
        with self.index_lock:
            self.counts[(call.method, "ok" if call.effective else call.fault or "error")] += 1
            if not call.effective:
                return
            if call.method == "chat.postMessage" and not call.params.get("thread_ts"):
                blocks = call.json_param("blocks") or []
                value = _button_value(blocks, "open_update")
                if value is not None:
                    to = str(call.params.get("channel"))
                    self.prompts[to].append({"channel": call.response["channel"],
                                             "ts": call.response["ts"], "value": value})
            elif call.method == "views.open":
                self.opened[str(call.params.get("trigger_id"))] = call.response["view"]["id"]
            self.index_lock.notify_all()


def _button_value(blocks: list[dict[str, Any]], action_id: str) -> str | None:
    for block in blocks if isinstance(blocks, list) else []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return str(element.get("value") or "")
    return None


class SlackSide:
    """What the simulated clients ask of Slack. Lives in the manager process."""

    def __init__(self) -> None:
        self.fake = _IndexingFake().start()

    def api_url(self) -> str:
        return self.fake.api_url

    def pid(self) -> int:
        return os.getpid()

    def response_url(self) -> str:
        return self.fake.response_url()

    def add_users(self, users: list[tuple[str, str]]) -> None:
        """``(user id, email)`` pairs: the workspace's people."""
        for user_id, email in users:
            self.fake.add_user(user_id, email=email)

    def use_socket_mode(self, link: str) -> None:
        """``apps.connections.open`` answers with URLs at ``link``: a ``FakeSocketMode`` in the
        benchmark's process (``benchmarks.load.socket_mode``)."""
        self.fake.socket_mode = LinkURLs(link)

    def set_latency(self, seconds: float) -> None:
        """Seconds added to every Web API call from now on."""
        self.fake.latency = seconds

    def fail_rate(self, p: float, kinds: list[str], seed: int = 0) -> None:
        self.fake.fail_rate(p, kinds, seed=seed)

    def clear_faults(self) -> None:
        self.fake.clear_faults()

    def prompt_count(self) -> int:
        with self.fake.index_lock:
            return sum(len(items) for items in self.fake.prompts.values())

    def wait_for_prompts(self, count: int, timeout: float) -> int:
        """Block until ``count`` prompt messages were posted (or ``timeout``); how many were."""
        deadline = time.monotonic() + timeout
        with self.fake.index_lock:
            while True:
                posted = sum(len(items) for items in self.fake.prompts.values())
                left = deadline - time.monotonic()
                if posted >= count or left <= 0:
                    return posted
                self.fake.index_lock.wait(min(left, 1.0))

    def prompts_for(self, user_id: str) -> list[dict[str, Any]]:
        """The prompts posted to ``user_id``: their DM ``channel``, ``ts`` and button ``value``."""
        with self.fake.index_lock:
            return list(self.fake.prompts.get(user_id, []))

    def form_for(self, trigger_id: str, timeout: float) -> dict[str, Any] | None:
        """The modal the app opened with ``trigger_id``, once it shows input blocks (the form
        replaces a loading view); ``None`` if none appeared within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.fake.index_lock:
            while True:
                view_id = self.fake.opened.get(trigger_id)
                view = self.fake.views.get(view_id) if view_id else None
                if view and any(block.get("type") == "input" for block in view.get("blocks", [])):
                    return json.loads(json.dumps(view))
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.fake.index_lock.wait(min(left, 0.5))

    def counts(self) -> dict[str, dict[str, int]]:
        """Web API calls by method and outcome (``ok``, or the injected fault)."""
        with self.fake.index_lock:
            result: dict[str, dict[str, int]] = collections.defaultdict(dict)
            for (method, outcome), count in self.fake.counts.items():
                result[method][outcome] = count
            return dict(result)

    def stop(self) -> None:
        self.fake.stop()


class _Manager(BaseManager):
    pass


_Manager.register("SlackSide", SlackSide)


def start_slack_side() -> tuple[BaseManager, Any]:
    """A fresh fake Slack in its own process; call ``manager.shutdown()`` when done."""
    manager = _Manager(ctx=multiprocessing.get_context("spawn"))
    manager.start()
    return manager, manager.SlackSide()  # type: ignore[attr-defined]
