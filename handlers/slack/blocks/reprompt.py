"""The DM an SRO gets when a governance lead asks for changes to their update.

``bot.reports.decisions`` records one ``changes_requested`` outbox message per SRO and sends them
through the messenger port (``handlers.slack.outbox`` renders them with this builder). The
message carries the lead's comment and the same "update" button as the round's prompt, so the
SRO's resubmission goes through the usual form and rules. Once the deliverable's update is saved
again (by them or a co-owner), ``handlers.slack.followups`` redraws it with the version saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.calendar.periods import Period, PeriodError
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import OPEN_UPDATE, update_button_value
from handlers.slack.blocks.ids import Target as UpdateTarget
from handlers.slack.blocks.words import esc_line as esc
from handlers.slack.blocks.words import rag_word, who


@dataclass(frozen=True)
class Saved:
    """The version saved since the request (``by``: who saved it, as the reader sees it)."""

    version: int
    by: str


def render_reprompt(payload: Mapping[str, Any], saved: Saved | None = None
                    ) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of one re-prompt from its outbox payload; with ``saved``,
    redrawn after the deliverable's update was saved (its ``rag`` is then the one saved)."""
    period = str(payload.get("period") or "")
    number, title = payload.get("number") or "", " ".join(str(payload.get("title") or "").split())
    name = f"{number}. {title}" if number else title
    comment = mrkdwn.truncate(mrkdwn.escape(str(payload.get("comment") or "").strip()), 2500)
    quoted = "\n".join("> " + line if line.strip() else ">" for line in comment.splitlines())
    rating = rag_word(payload.get("rag"), missing="no rating yet")
    if saved is None:
        status = (f"Your current rating: {rating}. Please submit a revised update; the report "
                  "will be compiled again before it is approved.")
    else:
        status = (f":white_check_mark: Version {saved.version} ({rating}) was saved by "
                  f"{esc(saved.by)}. The report will be compiled again before it is approved.")
    blocks: list[dict[str, Any]] = [
        mrkdwn.section(
            f":leftwards_arrow_with_hook: *Changes requested on your {esc(period)} update*\n"
            f"*{esc(mrkdwn.truncate(name, 600))}*\n{esc(payload.get('theme'))}",
            block_id="deliverable"),
        mrkdwn.section(f"{who(payload.get('requested_by'))} reviewed the draft board report "
                       f"and asked:\n{quoted}"),
        mrkdwn.context(status),
    ]
    button = _update_button(payload, "Change the update" if saved else
                            "Submit a revised update")
    if button is not None:
        blocks.append(mrkdwn.actions(button, block_id="reprompt_actions"))
    text = f"Changes requested on your {period} update for {title}"
    return mrkdwn.truncate(text, 300), blocks


def _update_button(payload: Mapping[str, Any], label: str) -> dict[str, Any] | None:
    try:
        target = UpdateTarget(int(payload["deliverable_id"]),
                              Period.parse(str(payload.get("period") or "")))
    except (KeyError, TypeError, ValueError, PeriodError):
        return None
    return mrkdwn.button(label, OPEN_UPDATE, update_button_value(target), style="primary")
