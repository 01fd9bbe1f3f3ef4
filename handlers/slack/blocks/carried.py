"""A deliverable carried on from an earlier framework, with no update of its own last quarter:
its last update there, shown where last quarter's would be (the prompt and the update form)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.ports.updates import Carried
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.words import QUOTE_LIMIT, day, esc, esc_line, quote, rag_label


def carried_blocks(carried: Carried, *, deadline: date | None = None, with_deadline: bool = True,
                   limit: int = QUOTE_LIMIT) -> list[dict[str, Any]]:
    """"Carried from Step Up To Great GO-3: its last update there (2024/25 Q4)", its rating
    (and the deadline beside it when ``with_deadline``) and its narrative quoted."""
    where_from = f" ({esc(carried.period)})" if carried.period else ""
    fields = [f"*Rating*\n{rag_label(carried.rag) if carried.rag else '_none_'}"]
    if with_deadline:
        fields.append(f"*Deadline*\n{day(deadline)}")
    blocks = [mrkdwn.section(
        f"*Carried from {esc_line(carried.source)}*: its last update there{where_from}",
        block_id="previous", fields=fields)]
    if carried.narrative:
        blocks.append(mrkdwn.section(f"*Its last update in {esc_line(carried.source)}*\n"
                                     f"{quote(carried.narrative, limit)}",
                                     block_id="previous_narrative"))
    return blocks
