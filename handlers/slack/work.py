"""What the worker does with the Slack work the serving process deferred, by inbox kind.

``slack.request`` (a whole request to dispatch through the worker's Bolt app) is the
composition root's (``ragtime.worker``); the kinds here are the second halves of listeners
that had to answer Slack at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.slack.actions.outcome_button import FILL_OUTCOME_FORM, fill_outcome_form
from handlers.slack.actions.risk_buttons import FILL_RISK_FORM, fill_risk_form
from handlers.slack.actions.update_button import FILL_FORM, fill_update_form
from handlers.slack.context import SlackContext
from handlers.slack.views.away_form import AWAY_FORM, record_away_form
from handlers.slack.views.update_form import STORE_FORM, store_update_form

WORK: dict[str, Callable[[SlackContext, dict[str, Any]], None]] = {
    FILL_FORM: fill_update_form,
    FILL_RISK_FORM: fill_risk_form,
    FILL_OUTCOME_FORM: fill_outcome_form,
    AWAY_FORM: record_away_form,
    STORE_FORM: store_update_form,
}

# Work a person is looking at a loading view for: the worker claims it before the rest.
LOADING = frozenset({FILL_FORM, FILL_RISK_FORM, FILL_OUTCOME_FORM})
