"""The card an SRO gets in Teams when a governance lead sends their update back
(``bot.reports.decisions.request_changes`` records it; the worker sends it).

It is the prompt card itself (``handlers.teams.cards.update``: the same inputs and rules,
pre-filled with the update now saved, answered in the invoke response) headed by the lead's
request, so the SRO revises where they read what to change. The lead's words are shown exactly
as written (``TextRun``s, never Markdown).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from microsoft_teams.cards import AdaptiveCard, CardElement

from bot.collection.submissions import FormFacts
from bot.collection.values import Target
from bot.words import rag_word
from handlers.teams.cards.build import heading, note, plain
from handlers.teams.cards.update import update_card

# A lead who decided in Slack is recorded by their Slack user id (U0ABC123), which means nothing
# in Teams.
_SLACK_USER = re.compile(r"^[UW](?=[A-Z]*[0-9])[A-Z0-9]{4,}$")


def requested_by(payload: Mapping[str, Any]) -> str:
    """Who asked, in words a Teams user reads (a Slack user id means nothing there)."""
    by = " ".join(str(payload.get("requested_by") or "").split())
    return "A governance lead" if not by or _SLACK_USER.match(by) else by


def title_of(payload: Mapping[str, Any]) -> str:
    return f"Changes requested on your {payload.get('period', '')} update"


def request_part(payload: Mapping[str, Any]) -> list[CardElement]:
    """Who asked, their words, and the rating now saved."""
    rating = rag_word(payload.get("rag"), missing="no rating yet")
    return [
        plain(f"{requested_by(payload)} reviewed the draft board report and asked:",
              spacing="Medium"),
        plain(str(payload.get("comment") or "").strip(), weight="Bolder"),
        note(f"Your current rating: {rating}. Please submit a revised update below; the report "
             "will be compiled again before it is approved."),
    ]


def changes_card(target: Target, form: FormFacts | None, payload: Mapping[str, Any], *,
                 reason: str | None = None) -> AdaptiveCard:
    """The request above the update form; without a form (``reason``: the round is frozen,
    the deliverable is no longer theirs…) the request and why it cannot be answered here."""
    if form is None:
        number = str(payload.get("number") or "")
        title = " ".join(str(payload.get("title") or "").split())
        return AdaptiveCard(body=[heading(title_of(payload)),
                                  plain(f"{number} {title}".strip(), weight="Bolder"),
                                  *request_part(payload),
                                  plain(reason or "This update cannot be changed now.")])
    return update_card(target, form, title=title_of(payload), request=request_part(payload))
