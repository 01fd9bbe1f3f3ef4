"""The App Home tab: the viewer's deliverables and, for governance leads, the round's progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.collection.status import HomePage
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.away import away_button, own_absence
from handlers.slack.blocks.ids import OPEN_ROUND, OPEN_UPDATE, open_round_value, update_button_value
from handlers.slack.blocks.prompt import outstanding_sections
from handlers.slack.blocks.risk import OPEN_RISK, risk_value
from handlers.slack.blocks.status import item_line, progress_lines
from handlers.slack.blocks.text import fit
from handlers.slack.blocks.words import esc

ABOUT = ("Each quarter Ragtime asks every SRO for a RAG rating and a short narrative on each "
         "deliverable they own, then compiles the draft board report.")


def home_view(pages: HomePage | Sequence[HomePage]) -> dict[str, Any]:
    """The Home tab: one part per framework in focus (each named when there are several)."""
    pages = [pages] if isinstance(pages, HomePage) else list(pages)
    blocks: list[dict[str, Any]] = [mrkdwn.header("Ragtime")]
    if not pages or pages[0].state is None:
        blocks.append(mrkdwn.section(ABOUT + "\n\nNo framework has been imported yet."))
        return mrkdwn.home(blocks)
    several = len(pages) > 1
    owns_nothing = not any(page.items for page in pages)
    room = (mrkdwn.VIEW_BLOCKS_MAX - 3) // len(pages)  # the header, a note, the absence block
    for page in pages:
        blocks += fit(_page_blocks(page, mine=not (several and owns_nothing)), room,
                      "…and more: see `/report-status`.")
    if several and owns_nothing:  # said once, not under every framework
        blocks.append(mrkdwn.section(ABOUT + "\n\nYou are not an SRO or delegate of any "
                                     "deliverable."))
    absence = pages[0].absence  # the viewer's own, whichever framework
    blocks.append(own_absence(absence) if absence else away_button())
    return mrkdwn.home(fit(blocks, mrkdwn.VIEW_BLOCKS_MAX))


def _page_blocks(page: HomePage, *, mine: bool = True) -> list[dict[str, Any]]:
    assert page.state is not None
    blocks: list[dict[str, Any]] = []
    if page.framework:
        blocks.append(mrkdwn.section(f"*{esc(page.framework)}*",
                                     block_id=f"framework-{_slug(page.framework)}"))
    blocks.append(mrkdwn.context(esc(page.state.describe())))
    lead_blocks = _lead_blocks(page) if page.lead else []
    own = (_my_risk_blocks(page) + _my_blocks(page)) if mine else []
    # Leads see the round first; the Home tab holds 100 blocks, so the own list is what gets cut.
    room = mrkdwn.VIEW_BLOCKS_MAX - len(blocks) - len(lead_blocks)
    return blocks + lead_blocks + fit(own, max(room, 2), "…and {n} more deliverables: see "
                                      "`/report-status`.")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())[:40]


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
        block_id = f"mine-{_slug(page.framework)}-{index}" if page.framework else f"mine-{index}"
        blocks.append(mrkdwn.section(f"{item_line(item)}\n_{esc(item.theme)}_",
                                     accessory=accessory, block_id=block_id))
    return blocks


def _lead_blocks(page: HomePage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [mrkdwn.divider(), mrkdwn.section("*Round progress*")]
    if page.can_open is not None:
        label = f"Open round for {page.can_open.label}"
        blocks.append(mrkdwn.section(
            f"No round is open for {page.can_open.label}. Opening it sends every SRO a prompt "
            "per deliverable.",
            accessory=mrkdwn.button(label, OPEN_ROUND,
                                    open_round_value(page.can_open, page.framework or None),
                                    style="primary"),
            block_id=f"open_round-{_slug(page.framework)}" if page.framework else "open_round"))
    if page.progress is not None:
        blocks.append(mrkdwn.section(progress_lines(page.progress)))
        outstanding = outstanding_sections(page.progress.outstanding)
        blocks += fit(outstanding, 30, "…and {n} more themes: see `/report-status`.")
    if page.risk_progress is not None and page.risk_progress.total:
        risks = page.risk_progress
        blocks.append(mrkdwn.section(
            f"*BAF risk returns*: {risks.returned} of {risks.total} returned, "
            f"{len(risks.outstanding)} outstanding", block_id="risk_progress"))
    blocks.append(mrkdwn.divider())
    return blocks


def _my_risk_blocks(page: HomePage) -> list[dict[str, Any]]:
    """The viewer's BAF risks, each with a button to return it while the round takes returns."""
    if not page.risks:
        return []
    outstanding = sum(1 for item in page.risks if item.score is None)
    blocks = [mrkdwn.section(f"*Your BAF risks* — {outstanding} of {len(page.risks)} still to "
                             "return", block_id="my_risks")]
    taking = bool(page.state and page.state.opened and not page.state.frozen)
    for index, item in enumerate(page.risks):
        state = (f"returned, score {item.score} (version {item.version})"
                 if item.score is not None else "no return yet")
        accessory = mrkdwn.button(
            "Change return" if item.score is not None else "Return this risk", OPEN_RISK,
            risk_value(item.risk.id, page.state.period)) if taking and page.state else None
        blocks.append(mrkdwn.section(
            f"*BAF {esc(item.risk.number)}* {esc(mrkdwn.truncate(item.risk.title, 300))}\n"
            f"_{esc(state)}_", accessory=accessory, block_id=f"risk-{index}"))
    return blocks
