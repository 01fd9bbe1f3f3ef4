"""Helpers for reading what reached the fake Slack."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakeslack import Call, FakeSlack


def block_text(blocks: list[dict[str, Any]] | None) -> str:
    """Every piece of text in ``blocks`` (headers, sections, fields, context, buttons)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for key, item in value.items():
                if key != "text" or not isinstance(item, str):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks or [])
    return "\n".join(found)


def buttons(blocks: list[dict[str, Any]] | None) -> dict[str, str]:
    """action_id → value of every button."""
    return {element["action_id"]: element.get("value", "")
            for block in blocks or [] if block.get("type") == "actions"
            for element in block["elements"]}


def posts(fake: FakeSlack, channel: str) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage") if c.params.get("channel") == channel]


def summaries(fake: FakeSlack, channel: str) -> list[Call]:
    """Top-level posts with blocks in ``channel``: the report summaries."""
    return [c for c in posts(fake, channel)
            if not c.params.get("thread_ts") and c.json_param("blocks")]


def wait_until(check, timeout: float = 20.0, what: str = "condition") -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def response_texts(fake: FakeSlack) -> list[str]:
    """What was said through response_urls (ephemeral replies), in order."""
    texts = []
    for call in fake.calls("response_url"):
        params = call.params
        if "text" in params:
            texts.append(str(params["text"]))
        elif "payload" in params:
            texts.append(str(json.loads(params["payload"]).get("text")))
    return texts
