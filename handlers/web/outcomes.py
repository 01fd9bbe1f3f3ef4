"""``GET /form/<token>/outcomes`` shows a person's deliverables of a closing framework with an
outcome to choose for each; ``POST`` stores those chosen (``bot.collection.outcome_sheet``).

The same signed link as the update form is the only identity, and every POST carries the page's
signed form token (CSRF, and the key that stops a replay storing twice). Rule errors come back
beside the fields with a summary at the top linking to each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from bot.collection.links import form_nonce, form_token, read_link
from bot.collection.outcome_sheet import OutcomeSheet, outcome_sheet, submit_outcome_sheet
from bot.collection.outcomes import (
    OUTCOME_HINTS,
    OUTCOME_WORDS,
    REASON_MAX,
    OutcomeEntry,
    OutcomeFacts,
)
from bot.words import rag_word
from handlers.web.fields import field_id

MAX_FORM_BYTES = 256 * 1024
FIELDS = ("outcome", "target", "reason")
NOTHING = "Choose an outcome for at least one deliverable."
STALE = ("This page was not sent from your link, or was open for too long. Open your link "
         "again and choose the outcomes again.")
NOT_CLOSING = ("This framework is not closing, so there is no outcome to record. The "
               "governance team will ask when its strategy closes.")


@dataclass(frozen=True)
class OutcomeView:
    """One deliverable as the page shows it."""

    facts: OutcomeFacts
    values: Mapping[str, str]
    errors: Mapping[str, str]
    refusal: str | None = None

    @property
    def id(self) -> int:
        return self.facts.deliverable_id

    def field(self, name: str) -> str:
        return field_id(self.id, name)


def add_outcome_routes(blueprint: Blueprint, ctx: Any) -> None:
    """The outcome page's routes on the form's blueprint (same templates, same limits)."""

    @blueprint.get("/form/<token>/outcomes")
    def outcomes(token: str) -> Any:
        check = read_link(ctx, token)
        if check.access is None:
            return _refused(check.message)
        sheet = outcome_sheet(ctx, check.access)
        if not sheet.closing:
            return render_template("web/refused.html", title="No outcome to record",
                                   message=NOT_CLOSING), 404
        views = [OutcomeView(facts, _current(facts), {}) for facts in sheet.items]
        return _page(sheet, views, form_token(ctx, token))

    @blueprint.post("/form/<token>/outcomes")
    def save_outcomes(token: str) -> Any:
        request.max_content_length = MAX_FORM_BYTES
        check = read_link(ctx, token)
        if check.access is None:
            return _refused(check.message)
        posted = request.form.get("form_token")
        nonce = form_nonce(ctx, token, posted)
        if nonce is None:
            return render_template("web/refused.html", title="Open your link again",
                                   message=STALE), 400
        entries = _entries(request.form)
        result = submit_outcome_sheet(ctx, check.access, entries, form_id=nonce)
        if result.ok:
            return render_template("web/outcomes_done.html", access=check.access,
                                   result=result, title="Outcomes saved",
                                   link=request.path.removesuffix("/outcomes"))
        views = []
        for facts in result.sheet.items:
            entry = entries.get(facts.deliverable_id)
            views.append(OutcomeView(
                facts, _entered(entry) if entry else _current(facts),
                result.errors.get(facts.deliverable_id, {}),
                result.refusals.get(facts.deliverable_id)))
        summary = [(view.field(name), message) for view in views
                   for name, message in view.errors.items()]
        summary += [(view.field("outcome"), view.refusal) for view in views if view.refusal]
        if result.nothing and views:
            summary.append((views[0].field("outcome"), NOTHING))
        return _page(result.sheet, views, posted or "", summary=summary)


def _entries(form: Mapping[str, str]) -> dict[int, OutcomeEntry]:
    """What was entered, by the deliverable id in the field names (``bot`` keeps only the
    person's own)."""
    ids = set()
    for name in form:
        head, _, rest = name.partition("-")
        if head[:1] == "d" and head[1:].isdigit() and rest in FIELDS and len(head) < 12:
            ids.add(int(head[1:]))
    return {i: OutcomeEntry(outcome=form.get(field_id(i, "outcome")) or None,
                            target=form.get(field_id(i, "target")) or None,
                            reason=(form.get(field_id(i, "reason")) or "")[:20_000] or None)
            for i in sorted(ids)[:500]}


def _current(facts: OutcomeFacts) -> dict[str, str]:
    current = facts.current
    if current is None:
        return {}
    return {"outcome": current.kind.value, "target": str(current.target_id or ""),
            "reason": current.reason or ""}


def _entered(entry: OutcomeEntry) -> dict[str, str]:
    return {"outcome": entry.outcome or "", "target": entry.target or "",
            "reason": entry.reason or ""}


def _page(sheet: OutcomeSheet, views: list[OutcomeView], token: str, *,
          summary: list[tuple[str, str]] | None = None) -> Any:
    title = f"What became of your deliverables: {sheet.access.framework_name}"
    return render_template(
        "web/outcomes.html", access=sheet.access, views=views, form_token=token,
        summary=summary or [], title=("Error: " if summary else "") + title, heading=title,
        outcome_words=OUTCOME_WORDS, outcome_hints=OUTCOME_HINTS, reason_max=REASON_MAX,
        rag_word=rag_word)


def _refused(message: str) -> Any:
    return render_template("web/refused.html", title="This link cannot be used",
                           message=message), 403
