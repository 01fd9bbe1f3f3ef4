"""What the bot says in a DM: confirmations, requests for what is missing, help."""

from __future__ import annotations

from collections.abc import Mapping

from bot.collection.values import Rag
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import OPEN_UPDATE, Draft, Target, update_button_value
from handlers.slack.blocks.modal import RAG_ORDER
from handlers.slack.blocks.text import Message, deliverable_name
from handlers.slack.blocks.words import esc, quote, rag_label, rag_word

EXAMPLES = "`Green – policy adopted`, `A: delayed by estates works`, `amber. awaiting funding`"
LABEL_LINES = {
    "recovery_action": "`Recovery: <what will bring it back on track>`",
    "recovery_date": "`By: <the date you expect, e.g. 31/03/2025>`",
    "change_reason": "`Reason: <why the rating changed since last quarter>`",
}


def received_reply(
    *, rag: Rag, narrative: str, version: int, period_label: str, number: str, title: str,
    superseded: bool = False,
) -> Message:
    """The confirmation for the person who submitted (in the prompt's thread or a DM);
    ``superseded``: they wrote a newer update after this one (this one arrived late)."""
    again = f", version {version}" if version > 1 else ""
    lines = [f":white_check_mark: Thank you: recorded {rag_label(rag)} for "
             f"{deliverable_name(number, title)} ({period_label}{again}).", quote(narrative, 2500)]
    if superseded:
        lines.append("_This reached me late: the update you wrote after it still counts._")
    elif version > 1:
        lines.append("_This replaces your earlier update; the latest version counts._")
    return Message(f"Recorded {rag_word(rag)} for {esc(title)} ({period_label}).",
                   [mrkdwn.section("\n".join(lines))])


def co_owner_reply(
    *, by: str, rag: Rag, narrative: str, version: int, period_label: str, number: str,
    title: str,
) -> Message:
    """For the other SROs (and delegates) of a deliverable when one of them submitted."""
    lines = [f":information_source: {esc(by) or 'Another SRO'} submitted {rag_label(rag)} for "
             f"{deliverable_name(number, title)} ({period_label}, version {version}).",
             quote(narrative, 2500),
             "_You do not need to send one too; use *Change update* on the prompt to revise it._"]
    return Message(f"{esc(by) or 'Another SRO'} submitted {rag_word(rag)} for {esc(title)}.",
                   [mrkdwn.section("\n".join(lines))])


def missing_reply(
    problems: Mapping[str, str], draft: Draft, target: Target, *, prompt_ts: str | None
) -> Message:
    """Ask for exactly what the reply lacks; buttons open the form pre-filled with the reply."""
    if "rag" in problems:
        intro = (":thinking_face: I could not find a RAG rating in your reply, so nothing was "
                 f"recorded yet. Start your reply with Red, Amber or Green (e.g. {EXAMPLES}), "
                 "or choose one here to open the form with your text:")
        buttons = [
            mrkdwn.button(rag_word(rag), f"{OPEN_UPDATE}:{rag.value}", update_button_value(
                target, draft=Draft(rag=rag, narrative=draft.narrative,
                                    recovery_action=draft.recovery_action,
                                    recovery_date=draft.recovery_date,
                                    change_reason=draft.change_reason),
                prompt_ts=prompt_ts))
            for rag in RAG_ORDER
        ]
        return Message("I could not find a RAG rating in your reply: nothing was recorded yet.",
                       [mrkdwn.section(intro), mrkdwn.actions(*buttons, block_id="choose_rag")])
    asks = [f"• {esc(message)}" for message in problems.values()]
    lines = [":pencil: Nearly there: nothing was recorded yet because",
             *asks]
    labelled = [LABEL_LINES[name] for name in LABEL_LINES if name in problems]
    if labelled:
        lines += ["", "Reply again in this thread with your whole update, adding:", *labelled]
    else:
        lines += ["", "Reply again in this thread with your whole update."]
    lines.append("Or complete it in the form:")
    button = mrkdwn.button("Complete the form", f"{OPEN_UPDATE}:draft",
                           update_button_value(target, draft=draft, prompt_ts=prompt_ts),
                           style="primary")
    return Message("Nothing was recorded yet: " + " ".join(esc(m) for m in problems.values()),
                   [mrkdwn.section("\n".join(lines)), mrkdwn.actions(button, block_id="complete")])


def refused_reply(reason: str) -> Message:
    """Why nothing was stored (not an owner, period frozen, ...); ``reason`` is plain text."""
    return Message(esc(reason), [mrkdwn.section(f":no_entry: {esc(reason)}")])


def help_reply() -> Message:
    text = ("Hello! I collect quarterly RAG updates. To send one, *reply in the thread* of the "
            "prompt message for that deliverable, starting with the rating, e.g. "
            f"{EXAMPLES}; or press *Submit update* on the prompt. Your deliverables and their "
            "status are in my *Home* tab, and `/report-status` lists them. Going on leave? "
            "Tell me, e.g. `away 4–15 Aug, cover Sarah Willis`.")
    return Message("Reply in the thread of a prompt message to send an update.",
                   [mrkdwn.section(text)])


def away_reply(ok: bool, said: str) -> Message:
    """The answer to an ``away …`` message: what was recorded, or why not (plain text from
    ``bot.collection.away``, escaped here; its backticks show as code)."""
    icon = ":palm_tree:" if ok else ":warning:"
    return Message(esc(said), [mrkdwn.section(f"{icon} {esc(said)}")])


def not_a_prompt_reply() -> Message:
    text = ("I can only record an update sent as a reply to a *prompt message* (there is one per "
            "deliverable, each with a *Submit update* button). Please reply in that message's "
            "thread, or use its button.")
    return Message("Reply in the thread of a prompt message to send an update.",
                   [mrkdwn.section(text)])
