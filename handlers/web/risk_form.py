"""``GET /form/<token>/risk/<id>`` shows a risk owner's return for one BAF risk; ``POST`` stores
it (or, with "No change this quarter", confirms last quarter's in one step).

As for the update form, the signed link is the only identity and every POST carries the page's
signed form token (CSRF, and with the risk the idempotency key). The one flow
(``bot.collection.risk_flows``) checks the owner, the quarter and the rules; errors come back
beside the fields with a summary at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, render_template, request

from bot.collection.links import form_nonce, form_token, read_link
from bot.collection.risk_flows import (
    ReturnOutcome,
    confirm_no_change,
    risk_form_for,
    submit_risk_return,
)
from bot.collection.risk_returns import ReturnDraft, RiskEntry
from bot.collection.risk_rules import LINES, TEXT_MAX, ReturnFields
from bot.context import AppContext
from bot.framework.baf import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS
from bot.words import day

KINDS = ("positive", "negative")
ACTION_ROWS = 4
STALE = ("This page was not sent from your link, or was open for too long. Open your link "
         "again and re-enter your return.")
SUMMARY_FIELDS = {"assurances": "assure_first_positive", "actions": "action_1_text"}


def add_risk_routes(blueprint: Blueprint, ctx: AppContext, refused: Any) -> None:
    """The risk return's routes on the form's blueprint (``refused(reason, message)`` draws a
    refused link)."""

    @blueprint.get("/form/<token>/risk/<int:risk_id>")
    def show_risk(token: str, risk_id: int) -> Any:
        check = read_link(ctx, token)
        if check.access is None:
            return refused(check.refused or "tampered", check.message)
        offer = risk_form_for(ctx, risk_id=risk_id, period=check.access.period,
                              person_id=check.access.person_id)
        if offer.entry is None:
            return render_template("web/refused.html", title="Not available",
                                   message=offer.refused), 403
        return _page(check.access, offer.entry, _shown(offer.entry.draft), {},
                     form_token(ctx, token), token)

    @blueprint.post("/form/<token>/risk/<int:risk_id>")
    def submit_risk(token: str, risk_id: int) -> Any:
        check = read_link(ctx, token)
        if check.access is None:
            return refused(check.refused or "tampered", check.message)
        access = check.access
        posted = request.form.get("form_token")
        nonce = form_nonce(ctx, token, posted)
        if nonce is None:
            return render_template("web/refused.html", title="Open your link again",
                                   message=STALE), 400
        key = f"web:{nonce}:risk:{risk_id}"
        if "no_change" in request.form:
            outcome = confirm_no_change(ctx, risk_id=risk_id, period=access.period,
                                        source="web", person_id=access.person_id,
                                        idempotency_key=key)
        else:
            outcome = submit_risk_return(ctx, risk_id=risk_id, period=access.period,
                                         entered=read_fields(request.form), source="web",
                                         person_id=access.person_id, idempotency_key=key)
        if outcome.ok:
            return _done(access, outcome, token)
        offer = risk_form_for(ctx, risk_id=risk_id, period=access.period,
                              person_id=access.person_id)
        if offer.entry is None or outcome.refused:
            return render_template("web/refused.html", title="Not saved",
                                   message=outcome.refused or offer.refused), 403
        values = dict(request.form) if "no_change" not in request.form else _shown(
            offer.entry.draft)
        return _page(access, offer.entry, values, outcome.errors, posted or "", token)


def read_fields(form: Mapping[str, str]) -> ReturnFields:
    def text(name: str) -> str:
        return (form.get(name) or "")[:20_000].strip()

    assurances = [{"line": line, "kind": kind, "text": item.strip()}
                  for line in LINES for kind in KINDS
                  for item in text(f"assure_{line}_{kind}").splitlines() if item.strip()]
    actions = [{"text": text(f"action_{n}_text"), "owner": text(f"action_{n}_owner"),
                "due": text(f"action_{n}_due") or None,
                "deliverable": text(f"action_{n}_deliverable") or None}
               for n in range(1, ACTION_ROWS + 3) if f"action_{n}_text" in form]
    return ReturnFields(likelihood=text("likelihood") or None,
                        consequence=text("consequence") or None, rationale=text("rationale"),
                        controls=text("controls"), control_gaps=text("control_gaps"),
                        assurances=assurances, assurance_gaps=text("assurance_gaps"),
                        actions=actions)


def _shown(draft: ReturnDraft) -> dict[str, str]:
    values = {"likelihood": str(draft.likelihood or ""),
              "consequence": str(draft.consequence or ""), "rationale": draft.rationale,
              "controls": draft.controls, "control_gaps": draft.control_gaps,
              "assurance_gaps": draft.assurance_gaps}
    for line in LINES:
        for kind in KINDS:
            values[f"assure_{line}_{kind}"] = "\n".join(
                a.text for a in draft.assurances if a.line == line and a.kind == kind)
    for index, action in enumerate(draft.actions, 1):
        values[f"action_{index}_text"] = action.text
        values[f"action_{index}_owner"] = action.owner
        values[f"action_{index}_due"] = action.due.strftime("%d/%m/%Y") if action.due else ""
        values[f"action_{index}_deliverable"] = action.deliverable or ""
    return values


def _page(access: Any, entry: RiskEntry, values: Mapping[str, str],
          errors: Mapping[str, str], token: str, link: str) -> Any:
    field_errors = {SUMMARY_FIELDS.get(name, name): message for name, message in errors.items()}
    rows = max(ACTION_ROWS, len(entry.draft.actions) + 1)
    title = f"BAF {entry.risk.number}: your {access.period.label} risk return"
    return render_template(
        "web/risk.html", access=access, entry=entry, risk=entry.risk, facts=entry.facts,
        values=values, errors=field_errors, summary=list(field_errors.items()),
        form_token=token, back=f"/form/{link}", title=("Error: " if errors else "") + title,
        heading=title, day=day, likelihoods=LIKELIHOODS, consequences=CONSEQUENCES,
        lines=LINES, kinds=KINDS, rows=rows, text_max=TEXT_MAX, appetites=APPETITE_WORDS,
        can_confirm=entry.draft.likelihood is not None)


def _done(access: Any, outcome: ReturnOutcome, link: str) -> Any:
    assert outcome.saved is not None
    return render_template("web/risk_done.html", access=access, saved=outcome.saved,
                           title="Return sent", back=f"/form/{link}",
                           likelihoods=LIKELIHOODS, consequences=CONSEQUENCES)
