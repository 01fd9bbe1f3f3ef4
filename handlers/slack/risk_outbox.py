"""Slack's renderers of the BAF risk return's outbox rows: the prompt card per risk, the
reminder and the confirmation (registered with ``handlers.slack.outbox.register_renderer``)."""

from __future__ import annotations

from bot.collection.risk_round import RISK_CONFIRMATION, RISK_PROMPT, RISK_REMINDER
from bot.ports.messages import RecordedMessage
from handlers.slack.blocks.risk import (
    risk_confirmation_message,
    risk_prompt_message,
    risk_reminder_message,
)
from handlers.slack.context import SlackContext
from handlers.slack.outbox import Outgoing, register_renderer


def render_risk_prompt(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    return [Outgoing.of(str(message.payload["to"]), risk_prompt_message(message.payload))]


def render_risk_reminder(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    return [Outgoing.of(str(message.payload["to"]), risk_reminder_message(message.payload))]


def render_risk_confirmation(ctx: SlackContext, message: RecordedMessage) -> list[Outgoing]:
    """In the thread of the risk's prompt when there is one, else in the DM."""
    payload = message.payload
    return [Outgoing.of(str(payload.get("channel") or payload["to"]),
                        risk_confirmation_message(payload),
                        thread_ts=payload.get("thread_ts") or None)]


register_renderer(RISK_PROMPT, render_risk_prompt)
register_renderer(RISK_REMINDER, render_risk_reminder)
register_renderer(RISK_CONFIRMATION, render_risk_confirmation)
