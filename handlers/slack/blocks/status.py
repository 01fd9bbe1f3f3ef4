"""Status of a period's round, for ``/report-status`` and the App Home (plain values in:
``bot.collection.status``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.collection.status import MyItem, Progress, RoundState
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.prompt import outstanding_sections
from handlers.slack.blocks.text import OUTSTANDING, Message, fit
from handlers.slack.blocks.words import esc, rag_label


def item_line(item: MyItem) -> str:
    label = f"{item.number} {item.title}" if item.number else item.title
    if item.rag:
        version = f" (version {item.version})" if item.version and item.version > 1 else ""
        state = f"{rag_label(item.rag)}{version}"
    else:
        state = OUTSTANDING
    if item.on_behalf_of:
        state += f"\n:palm_tree: _Covering for {esc(item.on_behalf_of)} while they are away_"
    return f"*{esc(mrkdwn.truncate(label, 300))}*\n{state}"


def progress_lines(progress: Progress) -> str:
    lines = [f"*{progress.answered} of {progress.total}* deliverables have an update; "
             f"*{progress.total - progress.answered}* outstanding."]
    lines += [f"• {esc(theme)}: {answered} of {total} answered"
              for theme, answered, total in progress.themes]
    return "\n".join(lines)


def lead_status(state: RoundState, progress: Progress) -> Message:
    """``/report-status`` for a governance lead: who is outstanding, by theme."""
    blocks = [mrkdwn.section(f"*{esc(state.describe())}*\n{progress_lines(progress)}")]
    if progress.outstanding:
        blocks += outstanding_sections(progress.outstanding)
    else:
        blocks.append(mrkdwn.section(":tada: Every deliverable has an update."))
    text = (f"{state.period.label}: {progress.answered} of {progress.total} answered, "
            f"{progress.total - progress.answered} outstanding.")
    return Message(text, fit(blocks, mrkdwn.MESSAGE_BLOCKS_MAX))


def my_status(state: RoundState, items: Sequence[MyItem]) -> Message:
    """``/report-status`` for anyone else: their own deliverables only."""
    if not items:
        text = (f"*{esc(state.describe())}*\nYou are not an SRO or delegate of any deliverable, "
                "so there is nothing for you to report.")
        return Message(f"{state.period.label}: you have no deliverables.",
                       [mrkdwn.section(text)])
    outstanding = sum(1 for item in items if not item.rag)
    blocks = [mrkdwn.section(f"*{esc(state.describe())}*\nYour deliverables: "
                             f"{len(items) - outstanding} answered, {outstanding} outstanding.")]
    blocks += [mrkdwn.section(item_line(item)) for item in items]
    text = f"{state.period.label}: {outstanding} of your {len(items)} update(s) outstanding."
    return Message(text, fit(blocks, mrkdwn.MESSAGE_BLOCKS_MAX))


def framework_messages(parts: Sequence[tuple[str, Message]]) -> Message:
    """Several frameworks' statuses as one message, each under its framework's name."""
    if len(parts) == 1 and not parts[0][0]:
        return parts[0][1]
    blocks: list[dict] = []
    for framework, message in parts:
        blocks += [mrkdwn.header(framework), *message.blocks]
    text = " · ".join(f"{framework}: {message.text}" for framework, message in parts)
    return Message(mrkdwn.truncate(text, 3000), fit(blocks, mrkdwn.MESSAGE_BLOCKS_MAX))


def usage_message(problem: str | None = None) -> Message:
    lines = [f":warning: {esc(problem)}"] if problem else []
    lines += ["*Usage*",
              "`/report-status` — this period's updates (yours, or everyone's for governance "
              "leads)",
              "`/report-status 2024/25 Q2` — another period (also `Q2 2024/25`, `2024-25-Q2`)",
              "`/report-status open 2024/25 Q3` — governance leads: open the round and prompt "
              "every SRO (add `framework=\"NAME\"` when several frameworks are loaded)"]
    return Message(esc(problem) if problem else "Usage of /report-status",
                   [mrkdwn.section("\n".join(lines))])


def summary_message(lines: Sequence[str]) -> Message:
    """Plain-text result lines (e.g. of opening a round) as an escaped message."""
    text = "\n".join(esc(line) for line in lines)
    return Message(esc(lines[0]) if lines else "Done.",
                   fit(mrkdwn.sections(text or "Done."), mrkdwn.MESSAGE_BLOCKS_MAX))
