"""Block Kit for the draft report in the governance channel: plain values in, Slack JSON out.

The summary is a fixed body (RAG counts per theme, changes since last quarter, missing updates
and their SROs, the BAF risks) followed by two blocks that change with the lead's decisions: the
status (``report_status``) and the buttons (``report_actions``). ``with_status`` swaps those two
on the body as first posted. Every piece of framework or user text is escaped; long lists are
cut with a note, and every block stays within Slack's limits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot.ports.reports import DeliverableChoice, ReportRecord, StatusNote
from bot.reports import ClosureView, ProgressRow, RagCounts, ReportView
from handlers.slack.blocks import kit as mrkdwn
from handlers.slack.blocks.ids import BadValue, load_object, record_id
from handlers.slack.blocks.words import (
    NO_UPDATE,
    RAG_EMOJI,
    day,
    direction_word,
    rag_emoji,
    rag_word,
    when,
    who,
)
from handlers.slack.blocks.words import esc_line as esc

APPROVE = "report_approve"
REQUEST_CHANGES = "report_request_changes"
REOPEN = "report_reopen"
CHANGES_MODAL = "report_changes_modal"
STATUS_BLOCK = "report_status"
ACTIONS_BLOCK = "report_actions"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment"
CHOICE_BLOCK, CHOICE_ACTION = "deliverables", "deliverables"
NOT_OURS = "This button does not name a Ragtime report; it may be from an old message."

MAX_ITEMS = 12  # per list in the summary; the report itself has them all
NARRATIVE_EXCERPT = 280
RISK_TITLE_LIMIT = 160
OPTIONS_MAX = 100  # Slack: options per group, and groups per select

def counts_line(counts: RagCounts) -> str:
    return (f"{RAG_EMOJI['green']} {counts.green}   {RAG_EMOJI['amber']} {counts.amber}   "
            f"{RAG_EMOJI['red']} {counts.red}   {RAG_EMOJI[None]} {counts.missing} no update")


# ------------------------------------------------------------------------------ summary body

def report_body(view: ReportView, *, compiled_by: str, compiled_at: datetime, tz: tzinfo
                ) -> list[dict[str, Any]]:
    """The quarter's summary, without status and buttons."""
    rows = view.rows
    blocks: list[dict[str, Any]] = [
        mrkdwn.header(f"Draft board report: {view.period_label}"),
        mrkdwn.section(f"*{esc(view.title)}*\n{esc(view.framework_name)}"
                       + (f" · {esc(view.organisation)}" if view.organisation else "")),
        mrkdwn.context(f"Compiled by {who(compiled_by)} at {when(compiled_at, tz)} · "
                       f"{len(rows)} deliverable{'s' if len(rows) != 1 else ''} · compared with "
                       f"{esc(view.previous_period_label)}"),
        mrkdwn.divider(),
    ]
    theme_lines = [f"*{esc(theme.name)}*\n{counts_line(theme.rag_counts)}"
                   for theme in view.themes]
    theme_lines.append(f"*All themes*\n{counts_line(view.rag_counts)}")
    blocks += _list_sections("*RAG ratings by theme*", theme_lines, limit=len(theme_lines),
                             bullet="")
    changes = [f"{_row_name(row)}: {rag_word(row.previous_rag, missing=NO_UPDATE)} → "
               f"{rag_word(row.rag, missing=NO_UPDATE)} {rag_emoji(row.rag)}\n"
               f"{_excerpt(row.narrative)}" for row in view.changes]
    blocks += _list_sections(
        f"*Changed since {esc(view.previous_period_label)}* ({len(changes)})", changes,
        empty=esc(view.changes_note))
    missing = [f"{_row_name(row)}: SRO {_people(row)}"
               + (f" (deadline extended to {day(row.extended_to)})" if row.extended_to else "")
               for row in view.missing]
    blocks += _list_sections(f"*No update received* ({len(missing)})", missing,
                             empty="Every deliverable has an update.")
    risks = [_risk_line(risk) for theme in view.themes for risk in theme.risks]
    blocks += _list_sections(f"*BAF risks* ({len(risks)})", risks,
                             empty="No BAF risks recorded.")
    return blocks


def closure_body(view: ClosureView, *, compiled_by: str, compiled_at: datetime, tz: tzinfo
                 ) -> list[dict[str, Any]]:
    """The year-end summary: RAG counts per quarter and each theme's achievements."""
    rows = [row for theme in view.themes for row in theme.rows]
    blocks: list[dict[str, Any]] = [
        mrkdwn.header(f"Closure report: {view.fy_label}"),
        mrkdwn.section(f"*{esc(view.title)}*\n{esc(view.framework_name)}"
                       + (f" · {esc(view.organisation)}" if view.organisation else "")),
        mrkdwn.context(f"Compiled by {who(compiled_by)} at {when(compiled_at, tz)} · "
                       f"{len(rows)} deliverables through the year"),
        mrkdwn.divider(),
    ]
    quarter_lines = [f"*{esc(label)}*\n{counts_line(counts)}"
                     for label, counts in zip(view.quarters, view.counts_by_quarter, strict=True)]
    blocks += _list_sections("*RAG ratings by quarter*", quarter_lines,
                             limit=len(quarter_lines), bullet="")
    theme_lines = [
        f"*{esc(theme.name)}*: {len(theme.achievements)} of {len(theme.rows)} deliverables "
        f"reported achievements; final ratings "
        f"{counts_line(RagCounts.of(row.final_rag for row in theme.rows))}"
        for theme in view.themes
    ]
    blocks += _list_sections("*Themes*", theme_lines, limit=len(theme_lines))
    return blocks


def _list_sections(title: str, lines: Sequence[str], *, limit: int = MAX_ITEMS,
                   empty: str = "None.", bullet: str = "• ") -> list[dict[str, Any]]:
    if not lines:
        return [mrkdwn.section(f"{title}\n_{empty}_")]
    shown = [f"{bullet}{line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"_…and {len(lines) - limit} more: see the report files._")
    return mrkdwn.sections(title + "\n" + "\n".join(shown))[:4]


def _row_name(row: ProgressRow) -> str:
    title = mrkdwn.truncate(" ".join(row.title.split()), 200)
    return f"*{esc(row.code)}* {esc(title)}"


def _people(row: ProgressRow) -> str:
    return esc("; ".join(str(person) for person in row.sros)) or "_none recorded_"


def _excerpt(narrative: str) -> str:
    text = " ".join((narrative or "").split())
    if not text:
        return ">_(no narrative)_"
    return "> " + mrkdwn.truncate(mrkdwn.escape(text), NARRATIVE_EXCERPT)


def _risk_line(risk: Any) -> str:
    score = "not scored" if risk.score is None else f"score {risk.score}"
    if risk.as_of:
        score += f" (as at {esc(risk.as_of)})"
    direction = esc(direction_word(risk.direction))
    title = mrkdwn.truncate(" ".join(str(risk.title).split()), RISK_TITLE_LIMIT)
    return f"*{esc(risk.number)}* {esc(title)} — {score}" + (f", {direction}" if direction else "")


# ------------------------------------------------------------------------------ status

def status_blocks(report: ReportRecord, note: StatusNote, tz: tzinfo) -> list[dict[str, Any]]:
    """The status line and the buttons for ``report`` after ``note``."""
    label = esc(report.target.label)
    if note.kind == "approved":
        frozen = (f" {label} is frozen: SROs can no longer change their updates unless a "
                  "governance lead reopens it." if not report.target.closure else "")
        text = (f":white_check_mark: *Approved* by {who(note.by)} at {when(note.at, tz)}."
                + frozen)
        buttons = [_reopen_button(report)] if not report.target.closure else []
    elif note.kind == "changes_requested":
        items = "\n".join(f"• *{esc(c.number)}* "
                          f"{esc(mrkdwn.truncate(c.title, 150))}"
                          for c in note.deliverables[:MAX_ITEMS])
        if len(note.deliverables) > MAX_ITEMS:
            items += f"\n_…and {len(note.deliverables) - MAX_ITEMS} more._"
        quoted = mrkdwn.truncate(mrkdwn.escape((note.comment or "").strip()), 1200)
        quoted = "\n".join("> " + line for line in quoted.splitlines() if line.strip())
        text = (f":leftwards_arrow_with_hook: *Changes requested* by {who(note.by)} at "
                f"{when(note.at, tz)}; the SROs have been asked to resubmit:\n{items}\n{quoted}")
        buttons = _decision_buttons(report)
    elif note.kind == "reopened":
        text = (f":unlock: *Reopened* by {who(note.by)} at {when(note.at, tz)}: updates for "
                f"{label} are accepted again. Approve this draft if nothing changes, or compile "
                f"again with `/compile-report {label}`.")
        buttons = _decision_buttons(report)
    elif note.kind == "superseded":
        text = (f":arrows_counterclockwise: *Superseded* by a newer draft posted at "
                f"{when(note.at, tz)}.")
        buttons = []
    else:
        text = ":memo: *Draft*: for a governance lead to approve or send back for changes."
        buttons = _decision_buttons(report)
    blocks = [mrkdwn.section(text, block_id=STATUS_BLOCK)]
    if buttons:
        blocks.append(mrkdwn.actions(*buttons, block_id=ACTIONS_BLOCK))
    return blocks


def note_for(report: ReportRecord) -> StatusNote:
    """The note a report's stored status implies (for redrawing without fresh news)."""
    if report.status == "approved":
        return StatusNote("approved", report.decided_by, report.decided_at)
    if report.status == "changes_requested":
        return StatusNote("changes_requested", report.decided_by, report.decided_at)
    return StatusNote("draft")


def _decision_buttons(report: ReportRecord) -> list[dict[str, Any]]:
    value = str(report.id)
    approve = mrkdwn.button("Approve", APPROVE, value, style="primary")
    if not report.target.closure:
        approve["confirm"] = _confirm(
            "Approve this report?",
            f"{report.target.label} will be frozen: SROs will not be able to change their "
            "updates unless a governance lead reopens it.", "Approve")
        return [approve, mrkdwn.button("Request changes", REQUEST_CHANGES, value)]
    return [approve]


def _reopen_button(report: ReportRecord) -> dict[str, Any]:
    button = mrkdwn.button("Reopen", REOPEN, str(report.id), style="danger")
    button["confirm"] = _confirm(
        "Reopen this period?",
        f"The approval of the {report.target.label} report will be withdrawn and SROs will be "
        "able to change their updates again.", "Reopen")
    return button


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {"title": mrkdwn.plain(title, 100), "text": mrkdwn.plain(text, 300),
            "confirm": mrkdwn.plain(yes, 30), "deny": mrkdwn.plain("Cancel", 30)}


def with_status(body: Sequence[dict[str, Any]], status: Sequence[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """``body`` (a summary as posted) with its status and buttons replaced by ``status``."""
    kept = [block for block in body
            if block.get("block_id") not in (STATUS_BLOCK, ACTIONS_BLOCK)]
    room = mrkdwn.MESSAGE_BLOCKS_MAX - len(status)
    if len(kept) > room:
        kept = [*kept[: room - 1], mrkdwn.context("_…summary shortened: see the report files._")]
    return mrkdwn.message_blocks([*kept, *status])


def summary_text(view: ReportView | ClosureView) -> str:
    """The notification text of the summary (also what screen readers read first)."""
    if isinstance(view, ClosureView):
        return f"Closure report for {view.fy_label} compiled: {esc(view.title)}"
    c = view.rag_counts
    return (f"Draft board report for {view.period_label}: {c.green} green, {c.amber} amber, "
            f"{c.red} red, {c.missing} without an update.")


# ------------------------------------------------------------------------------ the modal

def changes_modal(report: ReportRecord, choices: Sequence[DeliverableChoice]) -> dict[str, Any]:
    """Ask which deliverables to send back and what to say (grouped by theme)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for choice in choices:
        rating = rag_word(choice.rag, missing=NO_UPDATE)
        groups.setdefault(choice.theme, []).append(mrkdwn.option(
            f"{choice.number} {' '.join(choice.title.split())}", str(choice.id),
            description=f"{rating} · SRO {', '.join(choice.sros) or 'none recorded'}"))
    option_groups = [{"label": mrkdwn.plain(theme, 75), "options": options[:OPTIONS_MAX]}
                     for theme, options in list(groups.items())[:OPTIONS_MAX]]
    blocks = [
        mrkdwn.section(
            f"The SROs of the deliverables you choose get a direct message with your comment "
            f"and are asked to resubmit their {esc(report.target.label)} update."),
        {"type": "input", "block_id": CHOICE_BLOCK,
         "label": mrkdwn.plain("Deliverables to send back"),
         "element": {"type": "multi_static_select", "action_id": CHOICE_ACTION,
                     "placeholder": mrkdwn.plain("Choose deliverables"),
                     "option_groups": option_groups}},
        {"type": "input", "block_id": COMMENT_BLOCK,
         "label": mrkdwn.plain("What needs to change?"),
         "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION, "multiline": True,
                     "max_length": 3000,
                     "placeholder": mrkdwn.plain("e.g. The narrative does not explain the "
                                                 "change to Amber; please add a recovery plan.")}},
    ]
    return mrkdwn.modal("Request changes", blocks, callback_id=CHANGES_MODAL, submit="Send",
                        private_metadata_value=json.dumps({"report": report.id}))


def modal_report_id(private_metadata: str | None) -> int | None:
    try:
        value = load_object(private_metadata).get("report")
    except BadValue:
        return None
    return None if isinstance(value, str) else record_id(value)


def thread_note(report: ReportRecord, note: StatusNote, tz: tzinfo) -> str:
    """The reply under the summary that records ``note`` (a decision, a failed upload)."""
    label = report.target.label
    if note.kind == "approved":
        frozen = "" if report.target.closure else f" {label} is now frozen."
        return f":white_check_mark: Approved by {who(note.by)} at {when(note.at, tz)}.{frozen}"
    if note.kind == "reopened":
        return (f":unlock: Reopened by {who(note.by)} at {when(note.at, tz)}: updates for "
                f"{label} are accepted again.")
    if note.kind == "changes_requested":
        return changes_thread_note(note, tz)
    if note.kind == "upload_failed":
        return (f":warning: The report files could not be uploaded ({note.comment}). Run "
                f"`/compile-report {label}` again to retry the upload.")
    return f"{label}: {note.kind}"


def changes_thread_note(note: StatusNote, tz: tzinfo) -> str:
    """The thread reply under the summary recording a request for changes."""
    names = ", ".join(esc(c.number) for c in note.deliverables[:20])
    more = f" and {len(note.deliverables) - 20} more" if len(note.deliverables) > 20 else ""
    lines = [f":leftwards_arrow_with_hook: {who(note.by)} asked for changes to "
             f"{names}{more} at {when(note.at, tz)}; "
             f"{note.queued} SRO message(s) queued."]
    if note.unreachable:
        lines.append(f":warning: Not messaged (no Slack account found): "
                     f"{esc(', '.join(note.unreachable))}.")
    text = "\n".join(lines)
    if note.undelivered:
        errors = "; ".join(mrkdwn.escape(error) for error in note.delivery_errors)
        text += (f"\n:warning: {note.undelivered} message(s) could not be sent yet"
                 + (f": {errors}" if errors else "; they will be retried") + ".")
    return text
