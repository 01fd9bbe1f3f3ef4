"""The DM an SRO gets when a governance lead asks for changes to their update.

``bot.reports.decisions.request_changes`` records one ``changes_requested`` outbox message per
SRO and ``bot.reports.decisions.ask_for_changes`` sends them at once through the messenger port:
crash-safe, what is not sent stays pending for the next run of the outbox. This module registers
their renderer with the Slack outbox (so the shared outbox sender, and the scheduler's
``deliver_outbox`` job, can send them). The message
carries the lead's comment and the same "update" button as the round's prompt, so the SRO's
resubmission goes through the usual form and rules.
"""

from __future__ import annotations

from typing import Any

from bot.calendar.periods import Period, PeriodError
from bot.context import AppContext
from bot.messaging.channel import RecordedMessage
from bot.reports.decisions import CHANGES_REQUESTED
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import OPEN_UPDATE, update_button_value
from handlers.slack.blocks.ids import Target as UpdateTarget
from handlers.slack.outbox import Outgoing, register_renderer
from handlers.slack.reports.blocks import esc, who

_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}


def render_reprompt(payload: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of one re-prompt from its outbox payload."""
    period = str(payload.get("period") or "")
    number, title = payload.get("number") or "", " ".join(str(payload.get("title") or "").split())
    name = f"{number}. {title}" if number else title
    comment = mrkdwn.truncate(mrkdwn.escape(str(payload.get("comment") or "").strip()), 2500)
    quoted = "\n".join("> " + line if line.strip() else ">" for line in comment.splitlines())
    rating = _WORDS.get(str(payload.get("rag") or ""), "no rating yet")
    blocks: list[dict[str, Any]] = [
        mrkdwn.section(
            f":leftwards_arrow_with_hook: *Changes requested on your {esc(period)} update*\n"
            f"*{esc(mrkdwn.truncate(name, 600))}*\n{esc(payload.get('theme'))}",
            block_id="deliverable"),
        mrkdwn.section(f"{who(payload.get('requested_by'))} reviewed the draft board report "
                       f"and asked:\n{quoted}"),
        mrkdwn.context(f"Your current rating: {rating}. Please submit a revised update; the "
                       "report will be compiled again before it is approved."),
    ]
    button = _update_button(payload)
    if button is not None:
        blocks.append(mrkdwn.actions(button, block_id="reprompt_actions"))
    text = f"Changes requested on your {period} update for {title}"
    return mrkdwn.truncate(text, 300), blocks


def _update_button(payload: dict[str, Any]) -> dict[str, Any] | None:
    try:
        target = UpdateTarget(int(payload["deliverable_id"]),
                              Period.parse(str(payload.get("period") or "")))
    except (KeyError, TypeError, ValueError, PeriodError):
        return None
    return mrkdwn.button("Submit a revised update", OPEN_UPDATE, update_button_value(target),
                         style="primary")


def render_changes_requested(ctx: AppContext, message: RecordedMessage) -> list[Outgoing]:
    payload = dict(message.payload or {})
    text, blocks = render_reprompt(payload)
    return [Outgoing(str(payload["to"]), text, blocks)]


register_renderer(CHANGES_REQUESTED, render_changes_requested)

