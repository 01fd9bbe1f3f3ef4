"""Messages the outbox sends: the prompt per deliverable, reminders, escalations and notices.

The prompt message is built by one function for both of its states, so the DM an SRO got when
the round opened and the same message updated (``chat.update``) after anyone submitted look alike:
outstanding ("Submit update") or received (the rating and narrative, "Change update").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

from bot.collection.status import OutstandingItem, OutstandingTheme
from bot.collection.values import Target
from bot.ports.updates import PromptCard
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.carried import carried_blocks
from handlers.slack.blocks.ids import OPEN_UPDATE, update_button_value
from handlers.slack.blocks.text import Message, chunks, deliverable_name, names, where
from handlers.slack.blocks.words import day, esc, moment, quote, rag_label, rag_word

REPLY_HINT = ("Reply in this thread with your rating and narrative, e.g. "
              "`Amber – delayed by estates works`, or use the button.")


def prompt_message(card: PromptCard, tz: tzinfo) -> Message:
    period = card.target.period
    title = deliverable_name(card.number, card.title)
    lines = [f"*{period.label} update* · {where(card.theme, card.area)}", title]
    if card.on_behalf_of:
        lines.append(f":palm_tree: _You are covering for {esc(card.on_behalf_of)}, away until "
                     f"{day(card.away_until)}: please submit this update on their behalf._")
    if card.joint_sros:
        lines.append(f"_Joint SRO with {names(card.joint_sros)}: either of you may submit._")
    blocks = [mrkdwn.section("\n".join(lines), block_id="deliverable")]
    previous = period.previous()
    if card.carried is not None:
        blocks += carried_blocks(card.carried, deadline=card.deadline)
    else:
        blocks.append(mrkdwn.section(
            f"*Last quarter ({previous.label})*", block_id="previous",
            fields=[f"*Rating*\n{rag_label(card.previous_rag) if card.previous_rag else '_none_'}",
                    f"*Deadline*\n{day(card.deadline)}"],
        ))
    if card.previous_narrative:
        blocks.append(mrkdwn.section(f"*Last quarter's update*\n{quote(card.previous_narrative)}",
                                     block_id="previous_narrative"))
    blocks.append(mrkdwn.divider())
    value = update_button_value(card.target)
    if card.received is None:
        text = f"Your {period.label} update for {esc(card.title)} is due by {day(card.deadline)}."
        if card.on_behalf_of:
            text = (f"Covering for {esc(card.on_behalf_of)}: the {period.label} update for "
                    f"{esc(card.title)} is due by {day(card.deadline)}.")
        blocks.append(mrkdwn.section(":hourglass_flowing_sand: *Not yet received.* " + REPLY_HINT,
                                     block_id="status"))
        if not card.frozen:
            blocks.append(mrkdwn.actions(
                mrkdwn.button("Submit update", OPEN_UPDATE, value, style="primary"),
                block_id="submit"))
        return Message(text, blocks)
    got = card.received
    by = f" from {esc(got.by)}" if got.by else ""
    when = f", {moment(got.at, tz)}" if got.at else ""
    summary = [f":white_check_mark: *Received {rag_label(got.rag)}* "
               f"(version {got.version}{by}{when})", quote(got.narrative, 2000)]
    if got.recovery_action or got.recovery_date:
        summary.append(f"*Recovery:* {esc(mrkdwn.truncate(got.recovery_action or '', 300))}"
                       f" — by {day(got.recovery_date)}")
    if got.change_reason:
        summary.append(f"*Reason for change:* {esc(mrkdwn.truncate(got.change_reason, 300))}")
    blocks.append(mrkdwn.section("\n".join(summary), block_id="status"))
    if card.frozen:
        blocks.append(mrkdwn.context(f"{period.label} is closed for changes."))
    else:
        blocks.append(mrkdwn.actions(mrkdwn.button("Change update", OPEN_UPDATE, value),
                                     block_id="submit"))
        blocks.append(mrkdwn.context(
            "You can change it until the deadline: a new version is kept and the latest counts."))
    text = f"{period.label} update for {esc(card.title)}: received {rag_word(got.rag)}."
    return Message(text, blocks)


# ------------------------------------------------------------------------------ reminders

@dataclass(frozen=True)
class ReminderItem:
    target: Target
    number: str
    title: str
    area: str
    theme: str


def reminder_messages(
    period_label: str, deadline: date | str | None, items: Sequence[ReminderItem],
    *, final: bool = False, on_behalf_of: str | None = None,
) -> list[Message]:
    """One reminder, split into messages of at most 50 blocks when someone owns very many;
    ``on_behalf_of`` names the absent SRO a cover is reminded for."""
    due = day(deadline)
    whose = f"{esc(on_behalf_of)}'s" if on_behalf_of else "your"
    opening = (f":alarm_clock: *Reminder:* {whose} {esc(period_label)} update"
               f"{'s are' if len(items) != 1 else ' is'} due "
               f"{'*today*' if final else 'by *' + due + '*'}. Still outstanding:")
    if on_behalf_of:
        opening = f"You are covering for {esc(on_behalf_of)} while they are away.\n" + opening
    blocks = [mrkdwn.section(opening, block_id="reminder")]
    for index, item in enumerate(items):
        blocks.append(mrkdwn.section(
            f"{deliverable_name(item.number, item.title)}\n{where(item.theme, item.area)}",
            accessory=mrkdwn.button("Submit update", OPEN_UPDATE,
                                    update_button_value(item.target)),
            block_id=f"item-{index}",
        ))
    blocks.append(mrkdwn.context(
        "You can also reply in the thread of each prompt message, e.g. `Green – policy adopted`."))
    text = f"Reminder: {len(items)} {period_label} update(s) due by {due}."
    if on_behalf_of:
        text = f"Reminder (covering for {esc(on_behalf_of)}): {len(items)} {period_label} " \
               f"update(s) due by {due}."
    return [Message(text, part) for part in chunks(blocks)]


# ------------------------------------------------------------------------------ escalation

def escalation_messages(
    period_label: str, deadline: date | str | None, *, total: int, answered: int,
    themes: Sequence[OutstandingTheme], away: Sequence[OutstandingItem] = (),
    extended: Sequence[tuple[OutstandingItem, str]] = (),
    risks: Sequence[tuple[str, str, str]] = (),
) -> list[Message]:
    """To the governance channel: who is still outstanding, by theme; apart from them, the
    deliverables whose SROs are away with nobody covering (a decision for governance, not
    lateness), those whose deadline was extended, and the BAF risks with no return yet
    (``risks``: number, title, owners)."""
    outstanding = sum(len(theme.items) for theme in themes)
    blocks = [
        mrkdwn.header(f"{period_label}: {outstanding} update(s) outstanding"),
        mrkdwn.section(f"The deadline was *{day(deadline)}*. {answered} of {total} "
                       "deliverables have an update; "
                       + ("these SROs have not yet answered:" if outstanding
                          else "nobody is late.")),
    ]
    blocks += outstanding_sections(themes)
    if away:
        lines = [f"*Away, no cover: a decision for you* ({len(away)})",
                 "_Not late: their SROs are away and nobody covers. Name a cover "
                 "(`ragtime away PERSON … --cover …`) or extend their deadline "
                 "(`ragtime round extend …`)._"]
        lines += [f"• {_item_line(item)}" for item in away]
        blocks += mrkdwn.sections("\n".join(lines))
    if extended:
        lines = [f"*Deadline extended* ({len(extended)})"]
        lines += [f"• {_item_line(item)} — due by {day(until or None)}" for item, until in extended]
        blocks += mrkdwn.sections("\n".join(lines))
    if risks:
        lines = [f"*BAF risk returns* ({len(risks)} outstanding)"]
        lines += [f"• BAF {esc(number)} {esc(mrkdwn.truncate(title, 200))} — {esc(owners)}"
                  for number, title, owners in risks]
        blocks += mrkdwn.sections("\n".join(lines))
    text = f"{period_label}: {outstanding} of {total} updates outstanding after the deadline."
    if away:
        text += f" {len(away)} away with no cover."
    return [Message(text, part) for part in chunks(blocks)]


def _item_line(item: OutstandingItem) -> str:
    label = f"{item.number} {item.title}" if item.number else item.title
    return f"{esc(mrkdwn.truncate(label, 300))} — {names(item.sros) or '_no SRO_'}"


def outstanding_sections(themes: Sequence[OutstandingTheme]) -> list[dict]:
    """Per theme, a bulleted list of outstanding deliverables and their SROs."""
    blocks: list[dict] = []
    for theme in themes:
        lines = [f"*{esc(theme.theme)}* ({len(theme.items)} outstanding)"]
        for item in theme.items:
            label = f"{item.number} {item.title}" if item.number else item.title
            sros = names(item.sros) or "_no SRO_"
            lines.append(f"• {esc(mrkdwn.truncate(label, 300))} — {sros}")
        blocks += mrkdwn.sections("\n".join(lines))
    return blocks


# ------------------------------------------------------------------------------ notices

@dataclass(frozen=True)
class Notice:
    """A message for the governance leads (delivery failures, SROs not found, ...)."""

    title: str
    intro: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)  # plain text, escaped here
    footer: str = ""


def notice_messages(notice: Notice) -> list[Message]:
    blocks = [mrkdwn.header(notice.title)]
    if notice.intro:
        blocks.append(mrkdwn.section(esc(notice.intro)))
    if notice.lines:
        blocks += mrkdwn.sections("\n".join(f"• {esc(line)}" for line in notice.lines))
    if notice.footer:
        blocks.append(mrkdwn.context(esc(notice.footer)))
    title = esc(notice.title)
    text = f"{title}: {len(notice.lines)} item(s)" if notice.lines else title
    return [Message(text, part) for part in chunks(blocks)]
