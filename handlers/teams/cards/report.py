"""The report summary card in the Teams governance conversation: the draft's counts, its
status, and Approve / Request changes (``Action.Execute`` verbs the lead's card action sends)."""

from __future__ import annotations

from datetime import tzinfo

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    ExecuteAction,
    Fact,
    FactSet,
    OpenUrlAction,
)

from bot.ports.closure_view import ClosureView
from bot.ports.report_view import ReportView
from bot.ports.reports import ReportRecord, StatusNote
from handlers.teams.cards.build import heading, note, plain

APPROVE_VERB = "report_approve"
CHANGES_VERB = "report_changes"
STATUS_WORDS = {"draft": "Draft: waiting for a decision", "approved": "Approved",
                "changes_requested": "Changes requested", "reopened": "Reopened",
                "superseded": "Superseded by a newer draft",
                "upload_failed": "Draft (the files could not be posted)"}


def summary_text(view: ReportView | ClosureView) -> str:
    if isinstance(view, ClosureView):
        return f"Closure report for {view.fy_label} compiled"
    c = view.rag_counts
    return (f"Draft board report for {view.period_label}: {c.green} green, {c.amber} amber, "
            f"{c.red} red, {c.missing} without an update.")


def report_card(report: ReportRecord, view: ReportView | ClosureView, note_: StatusNote,
                tz: tzinfo) -> AdaptiveCard:
    body: list[CardElement] = [heading(f"Board report: {report.target.label}"),
                               plain(summary_text(view))]
    if isinstance(view, ReportView):
        c = view.rag_counts
        body.append(FactSet(facts=[Fact(title="Green", value=str(c.green)),
                                   Fact(title="Amber", value=str(c.amber)),
                                   Fact(title="Red", value=str(c.red)),
                                   Fact(title="No update", value=str(c.missing))]))
    when = report.compiled_at.astimezone(tz).strftime("%-d %b %Y %H:%M")
    body.append(plain(f"Compiled by {report.compiled_by or 'Ragtime'} at {when}",
                      is_subtle=True))
    body.append(status_line(note_))
    actions = []
    if note_.kind in ("draft", "upload_failed", "reopened"):
        data = {"report_id": report.id}
        actions = [ExecuteAction(title="Approve", verb=APPROVE_VERB, data=data),
                   ExecuteAction(title="Request changes", verb=CHANGES_VERB, data=data)]
    return AdaptiveCard(body=body, actions=actions or None)


STATUS_ID = "status"


def status_text(note_: StatusNote) -> str:
    words = STATUS_WORDS.get(note_.kind, note_.kind)
    by = f" by {note_.by}" if note_.by else ""
    return f"Status: {words}{by}"


def status_line(note_: StatusNote) -> CardElement:
    """The summary's status (a name in it is shown as written: a TextRun); found again by its
    id when the card is redrawn."""
    line = plain(status_text(note_), weight="Bolder",
                 color="Good" if note_.kind == "approved" else None)
    line.id = STATUS_ID
    return line


def files_card(label: str, links: list[tuple[str, str]], *, days: int) -> AdaptiveCard:
    """The paper's files as download buttons (each a signed link valid for ``days``)."""
    return AdaptiveCard(
        body=[heading(f"Board paper files: {label}"),
              note(f"Download links, valid for {days} days.")],
        actions=[OpenUrlAction(title=name, url=url) for name, url in links])
