"""``/report-status [PERIOD]`` and, for governance leads, ``/report-status open PERIOD``.

Governance leads see who is outstanding, by theme; anyone else sees only their own deliverables
(and only those are read: this is the command every SRO runs).
The command is acknowledged at once and answered ephemerally through its ``response_url``.
"""

from __future__ import annotations

import re
from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.collection.flows import open_round_and_prompt
from bot.collection.rounds import RoundError
from bot.collection.status import statuses_for
from bot.context import AppContext
from bot.framework.choice import FrameworkChoiceError
from bot.framework.permissions import is_governance_lead
from handlers.slack.blocks.status import (
    framework_messages,
    lead_status,
    my_status,
    summary_message,
    usage_message,
)
from handlers.slack.blocks.text import Message

FRAMEWORK = re.compile(r'framework=(?:["“]([^"”]*)["”]|(\S+))', re.IGNORECASE)
NO_FRAMEWORK = "No framework has been imported yet, so there is nothing to report on."
LEADS_ONLY = "Only governance leads (RAGTIME_GOVERNANCE_LEADS) can open a round."


def report_status(ack: Any, command: dict[str, Any], respond: Any, ctx: AppContext) -> None:
    ack()
    user = command["user_id"]
    words = " ".join((command.get("text") or "").split())
    if words.lower() in ("help", "?"):
        _say(respond, usage_message())
        return
    if words.lower() == "open" or words.lower().startswith("open "):
        _open(ctx, respond, user, words[4:].strip())
        return
    try:
        asked = Period.parse(words) if words else None
    except PeriodError as error:
        _say(respond, usage_message(str(error)))
        return
    reports = statuses_for(ctx, user, asked)
    if reports[0].state is None:
        _say(respond, summary_message([NO_FRAMEWORK]))
        return
    parts = []
    for report in reports:
        assert report.state is not None
        if report.progress is not None:  # a governance lead
            parts.append((report.framework, lead_status(report.state, report.progress)))
        else:  # only their own deliverables were read
            parts.append((report.framework, my_status(report.state, report.items)))
    _say(respond, framework_messages(parts))


def _open(ctx: AppContext, respond: Any, user: str, text: str) -> None:
    if not is_governance_lead(ctx, user):
        _say(respond, summary_message([LEADS_ONLY]))
        return
    if not text:
        _say(respond, usage_message("Say which period to open, e.g. `/report-status open "
                                    "2024/25 Q3`."))
        return
    framework = None
    found = FRAMEWORK.search(text)
    if found:
        framework = (found.group(1) or found.group(2) or "").strip() or None
        text = (text[:found.start()] + text[found.end():]).strip()
    try:
        period = Period.parse(text)
    except PeriodError as error:
        _say(respond, usage_message(str(error)))
        return
    _say(respond, summary_message([f"Opening the {period.label} round and sending the prompts…"]))
    try:
        summary = open_round_and_prompt(ctx, period, opened_by=user, framework=framework)
    except (RoundError, FrameworkChoiceError) as error:
        message = str(error).replace("--framework NAME", 'framework="NAME"')
        _say(respond, summary_message([message[:1].upper() + message[1:]]))
        return
    _say(respond, summary_message(summary.lines()))


def _say(respond: Any, message: Message) -> None:
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral",
            replace_original=False)
