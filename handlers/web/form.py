"""``GET /form/<token>`` shows a person's deliverables for the round; ``POST`` stores them.

The link's token is the only identity (``bot.collection.links.read_link``): a refused link
gets a page saying why, with no form. Every POST must carry the page's signed form token (the
CSRF token, also the idempotency key of what it stores); rule errors come back beside the
fields with a summary at the top linking to each, and a stored page gets a confirmation.
Responses are rate limited by ``ragtime.web`` when they fail (403, 404, 410, 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from bot.collection.away import away_by_link
from bot.collection.links import LinkAccess, form_nonce, form_token, read_link
from bot.collection.personal_form import Sheet, SheetItem, SheetResult, sheet_for, submit_sheet
from bot.collection.risk_flows import risks_of_person
from bot.collection.rules import NARRATIVE_MAX, TEXT_MAX
from bot.context import AppContext
from bot.framework.absences import NOTE_LIMIT as NOTE_MAX
from bot.words import RAG_MEANINGS, RAG_WORDS, day, rag_word
from handlers.web.fields import (
    entered_values,
    field_errors,
    field_id,
    read_entries,
    shown_values,
)
from handlers.web.outcomes import add_outcome_routes
from handlers.web.risk_form import add_risk_routes

MAX_FORM_BYTES = 512 * 1024
REFUSED_STATUS = {"tampered": 403, "expired": 410, "revoked": 410, "closed": 410}
RAG_CHOICES = ("green", "amber", "red")
NOTHING = "Fill in at least one deliverable: a RAG rating and a narrative."
STALE = ("This page was not sent from your link, or was open for too long. Open your link "
         "again and re-enter your update.")


@dataclass(frozen=True)
class ItemView:
    """One deliverable as the template shows it."""

    item: SheetItem
    values: Mapping[str, str]
    errors: Mapping[str, str]
    refusal: str | None

    @property
    def id(self) -> int:
        return self.item.deliverable_id

    def field(self, name: str) -> str:
        return field_id(self.id, name)


def form_blueprint(ctx: AppContext) -> Blueprint:
    """The form's routes on ``ctx``."""
    blueprint = Blueprint("form", __name__, template_folder="templates",
                          static_folder="static", static_url_path="/form-static")

    @blueprint.get("/form/<token>")
    def show(token: str) -> Any:
        check = read_link(ctx, token)
        if check.access is None:
            return _refused(check.refused or "tampered", check.message)
        sheet = sheet_for(ctx, check.access)
        views = [ItemView(item, shown_values(item.facts) if item.facts else {}, {}, None)
                 for item in sheet.items]
        return _page(ctx, sheet, views, form_token(ctx, token))

    @blueprint.post("/form/<token>")
    def submit(token: str) -> Any:
        request.max_content_length = MAX_FORM_BYTES
        check = read_link(ctx, token)
        if check.access is None:
            return _refused(check.refused or "tampered", check.message)
        posted_token = request.form.get("form_token")
        nonce = form_nonce(ctx, token, posted_token)
        if nonce is None:
            return render_template("web/refused.html", title="Open your link again",
                                   message=STALE), 400
        result = submit_sheet(ctx, check.access, read_entries(request.form), form_id=nonce)
        if result.ok:
            return render_template("web/done.html", access=check.access, result=result,
                                   title="Update sent", link=request.path, day=day,
                                   rag_word=rag_word)
        return _with_errors(ctx, result, request.form, posted_token or "")

    @blueprint.post("/form/<token>/away")
    def away(token: str) -> Any:
        """The page's absence section: the link's person is away, perhaps with a cover."""
        request.max_content_length = MAX_FORM_BYTES
        check = read_link(ctx, token)
        if check.access is None:
            return _refused(check.refused or "tampered", check.message)
        posted_token = request.form.get("form_token")
        if form_nonce(ctx, token, posted_token) is None:
            return render_template("web/refused.html", title="Open your link again",
                                   message=STALE), 400
        entered = {name: request.form.get(name, "")[:NOTE_MAX]
                   for name in ("away_from", "away_to", "away_cover", "away_note")}
        said = away_by_link(ctx, person_id=check.access.person_id,
                            starts=entered["away_from"], ends=entered["away_to"],
                            cover=entered["away_cover"], note=entered["away_note"])
        if said.ok:
            return render_template("web/refused.html", title="Absence recorded",
                                   message=said.text)
        sheet = sheet_for(ctx, check.access)
        views = [ItemView(item, shown_values(item.facts) if item.facts else {}, {}, None)
                 for item in sheet.items]
        return _page(ctx, sheet, views, posted_token or "", summary=[("away_from", said.text)],
                     away=entered, away_error=said.text)

    add_risk_routes(blueprint, ctx, _refused)
    add_outcome_routes(blueprint, ctx)
    return blueprint


def _with_errors(ctx: AppContext, result: SheetResult, form: Mapping[str, str], token: str
                 ) -> Any:
    entered = read_entries(form)
    views = []
    for item in result.sheet.items:
        values = entered.get(item.deliverable_id)
        views.append(ItemView(
            item,
            entered_values(values) if values else (
                shown_values(item.facts) if item.facts else {}),
            field_errors(result.errors.get(item.deliverable_id, {})),
            result.refusals.get(item.deliverable_id)))
    summary = [(view.field(name), message) for view in views
               for name, message in view.errors.items()]
    summary += [(view.field("rag"), message) for view in views
                if (message := view.refusal)]
    if result.nothing and views:
        summary.append((views[0].field("rag"), NOTHING))
    return _page(ctx, result.sheet, views, token, summary=summary)


def _page(ctx: AppContext, sheet: Sheet, views: list[ItemView], token: str, *,
          summary: list[tuple[str, str]] | None = None, away: Mapping[str, str] | None = None,
          away_error: str | None = None) -> Any:
    access: LinkAccess = sheet.access
    title = f"Your update for {access.period.label}"
    risks = risks_of_person(ctx, person_id=access.person_id, period=access.period,
                            framework_id=access.framework_id)
    return render_template(
        "web/form.html", access=access, views=views, form_token=token, summary=summary or [],
        risks=risks, link=request.path.rstrip("/"),
        title=("Error: " if summary else "") + title, heading=title, day=day,
        rag_word=rag_word, rag_choices=RAG_CHOICES, rag_words=RAG_WORDS,
        rag_meanings=RAG_MEANINGS, narrative_max=NARRATIVE_MAX, text_max=TEXT_MAX,
        away=away or {}, away_error=away_error, note_max=NOTE_MAX)


def _refused(reason: str, message: str) -> Any:
    titles = {"tampered": "This link is not valid", "expired": "This link has expired",
              "revoked": "This link has been withdrawn", "closed": "Updates are closed"}
    return render_template("web/refused.html", title=titles.get(reason, "Not available"),
                           message=message), REFUSED_STATUS.get(reason, 403)
