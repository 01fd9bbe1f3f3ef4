"""The App Home tab: the viewer's deliverables and, for governance leads, the round's progress."""

from __future__ import annotations

from typing import Any

from bot.collection.status import HomePage
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.away import away_button, own_absence
from handlers.slack.blocks.ids import OPEN_ROUND, OPEN_UPDATE, open_round_value, update_button_value
from handlers.slack.blocks.prompt import outstanding_sections
from handlers.slack.blocks.status import item_line, progress_lines
from handlers.slack.blocks.text import fit
from handlers.slack.blocks.words import esc

ABOUT = ("Each quarter Ragtime asks every SRO for a RAG rating and a short narrative on each "
         "deliverable they own, then compiles the draft board report.")


def home_view(page: HomePage) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [mrkdwn.header("Ragtime")]
    if page.state is None:
        blocks.append(mrkdwn.section(ABOUT + "\n\nNo framework has been imported yet."))
        return mrkdwn.home(blocks)
    state = page.state
    blocks.append(mrkdwn.context(esc(state.describe())))
    lead_blocks = _lead_blocks(page) if page.lead else []
    mine = _my_blocks(page)
    # Leads see the round first; the Home tab holds 100 blocks, so the own list is what gets cut.
    room = mrkdwn.VIEW_BLOCKS_MAX - len(blocks) - len(lead_blocks)
    room -= 1  # the absence button (or the viewer's absence), last
    blocks += lead_blocks + fit(mine, max(room, 2), "…and {n} more deliverables: see "
                                "`/report-status`.")
    blocks.append(own_absence(page.absence) if page.absence else away_button())
    return mrkdwn.home(fit(blocks, mrkdwn.VIEW_BLOCKS_MAX))


def _my_blocks(page: HomePage) -> list[dict[str, Any]]:
    if not page.items:
        return [mrkdwn.section(ABOUT + "\n\nYou are not an SRO or delegate of any deliverable.")]
    outstanding = sum(1 for item in page.items if not item.rag)
    blocks = [mrkdwn.section(f"*Your deliverables* — {outstanding} of {len(page.items)} "
                             "still to report")]
    for index, item in enumerate(page.items):
        accessory = None
        if page.state and page.state.opened and not page.state.frozen:  # it takes updates
            accessory = mrkdwn.button(
                "Change update" if item.rag else "Submit update", OPEN_UPDATE,
                update_button_value(item.target), style=None if item.rag else "primary")
        blocks.append(mrkdwn.section(f"{item_line(item)}\n_{esc(item.theme)}_",
                                     accessory=accessory, block_id=f"mine-{index}"))
    return blocks


def _lead_blocks(page: HomePage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [mrkdwn.divider(), mrkdwn.section("*Round progress*")]
    if page.can_open is not None:
        label = f"Open round for {page.can_open.label}"
        blocks.append(mrkdwn.section(
            f"No round is open for {page.can_open.label}. Opening it sends every SRO a prompt "
            "per deliverable.",
            accessory=mrkdwn.button(label, OPEN_ROUND, open_round_value(page.can_open),
                                    style="primary"),
            block_id="open_round"))
    if page.progress is not None:
        blocks.append(mrkdwn.section(progress_lines(page.progress)))
        outstanding = outstanding_sections(page.progress.outstanding)
        blocks += fit(outstanding, 30, "…and {n} more themes: see `/report-status`.")
    blocks.append(mrkdwn.divider())
    return blocks
