"""The ``Messenger`` port by email: outbox rows rendered by kind and sent by the transport.

``EmailMessenger.send`` is what ``bot.messaging.routing.RoutedMessenger`` calls for a row whose
``via`` is ``email``. Each kind has a template pair in ``templates/``: ``prompt`` (the round's one
email per SRO listing all their deliverables), ``reminder``, ``changes_requested`` and
``confirmation``. The personal link (``bot.collection.links.personal_link``) is made when the
email is sent, so no link is stored. On a second attempt (a kill after sending, before the
outbox marked the row) the transport is asked first whether it already sent this key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import TemplateError

from bot.collection.closing import OUTCOME_REQUEST
from bot.collection.confirmations import CONFIRMATION
from bot.collection.followups import CHANGES_REQUESTED
from bot.collection.links import personal_link
from bot.collection.risk_round import RISK_PROMPT, RISK_REMINDER
from bot.context import AppContext
from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef
from bot.settings import Settings
from handlers.email.outgoing import Email, Transport
from handlers.email.render import render

SENT_VIA = "email"  # what the outbox stores as the row's channel once sent

Values = Callable[[AppContext, RecordedMessage], tuple[str, dict[str, Any]]]


class EmailMessenger:
    """Renders a recorded message for its ``kind`` and sends it through ``transport``."""

    def __init__(self, ctx: AppContext, transport: Transport) -> None:
        self.ctx = ctx
        self.transport = transport

    def send(self, message: RecordedMessage) -> SentRef:
        email = self.email(message)
        if message.attempts > 1:
            earlier = self.transport.already_sent(email)
            if earlier is not None:
                return SentRef(SENT_VIA, earlier)
        return SentRef(SENT_VIA, self.transport.send(email))

    def email(self, message: RecordedMessage) -> Email:
        """The email a row becomes (``PermanentSendError`` when it cannot be rendered)."""
        values = _VALUES.get(message.kind)
        if values is None:
            raise PermanentSendError(f"{message.kind} messages are not sent by email",
                                     error="no_email_template")
        to = str(message.payload.get("to") or "")
        if "@" not in to:
            raise PermanentSendError(f"{message.kind} {message.key} has no email address",
                                     error="no_address")
        try:
            template, fields = values(self.ctx, message)
            rendered = render(template, fields)
        except (KeyError, TypeError, ValueError, TemplateError) as error:
            raise PermanentSendError(f"cannot render {message.kind} {message.key} as an email: "
                                     f"{type(error).__name__}: {error}") from error
        notify_fields = {
            "subject": rendered.subject, "body": rendered.text.strip(),
            "name": str(fields.get("person_name") or ""), "period": str(fields["period"]),
            "link": str(fields.get("link") or ""),
        }
        return Email(key=message.key, to=to, subject=rendered.subject, text=rendered.text,
                     html=rendered.html, fields=notify_fields)


def teams_install_link(settings: Settings) -> str:
    """Where an emailed SRO adds Ragtime in Teams (the app package's id is the bot's app id,
    ``ragtime teams manifest``); "" when this deployment has no Teams. Once they add it, the
    next message reaches them in Teams (``auto``)."""
    if not settings.teams_enabled or not settings.teams_app_id:
        return ""
    return f"https://teams.microsoft.com/l/app/{settings.teams_app_id}"


def _link(ctx: AppContext, message: RecordedMessage) -> str | None:
    round_id = message.payload.get("round_id")
    if message.person_id is None or round_id is None:
        return None
    return personal_link(ctx, person_id=message.person_id, round_id=int(round_id))


def _round(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
    payload = message.payload
    return "round", {
        "person_name": payload["person_name"], "period": payload["period"],
        "deadline": payload.get("deadline"), "deliverables": list(payload["deliverables"]),
        "link": _link(ctx, message) or "", "teams_link": teams_install_link(ctx.settings),
    }


def _reminder(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
    payload = message.payload
    return "reminder", {
        "person_name": payload["person_name"], "period": payload["period"],
        "deadline": payload.get("deadline"), "deliverables": list(payload["deliverables"]),
        "final": str(payload.get("stage") or "").startswith("deadline-day"),
        "link": _link(ctx, message) or "", "on_behalf_of": payload.get("on_behalf_of") or "",
        "teams_link": teams_install_link(ctx.settings),
    }


def _changes(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
    payload = message.payload
    return "changes_requested", {
        "person_name": payload["person_name"], "period": payload["period"],
        "number": payload.get("number") or "", "title": payload["title"],
        "theme": payload.get("theme") or "", "rag": payload.get("rag"),
        "comment": payload["comment"], "link": _link(ctx, message),
    }


def _confirmation(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
    payload = message.payload
    return "confirmation", {
        "person_name": payload["person_name"], "period": payload["period"],
        "number": payload.get("number") or "", "title": payload["title"],
        "rag": payload["rag"], "narrative": payload.get("narrative") or "",
        "version": payload.get("version") or 1, "link": _link(ctx, message),
    }


def _risks(template: str) -> Values:
    """The BAF risk prompt and reminder: the owner's risks and their personal link."""
    def values(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
        payload = message.payload
        return template, {
            "person_name": payload["person_name"], "period": payload["period"],
            "deadline": payload.get("deadline"), "risks": list(payload["risks"]),
            "link": _link(ctx, message) or "", "teams_link": teams_install_link(ctx.settings),
        }
    return values


def _outcome_request(ctx: AppContext, message: RecordedMessage) -> tuple[str, dict[str, Any]]:
    payload = message.payload
    link = _link(ctx, message) or ""
    return "outcome_request", {
        "person_name": payload["person_name"], "period": payload["period"],
        "framework": payload["framework"], "final_year": payload["final_year"],
        "deliverables": list(payload["deliverables"]), "link": f"{link}/outcomes",
        "update_link": link,
    }


_VALUES: dict[str, Values] = {
    RISK_PROMPT: _risks("risk_round"),
    RISK_REMINDER: _risks("risk_reminder"),
    "prompt": _round,
    "reminder": _reminder,
    CHANGES_REQUESTED: _changes,
    CONFIRMATION: _confirmation,
    OUTCOME_REQUEST: _outcome_request,
}
