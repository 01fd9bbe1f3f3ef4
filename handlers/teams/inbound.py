"""``POST /api/messages``: what the Bot Framework delivers from Teams, acknowledged only.

A request is verified first (``handlers.teams.auth``: 401 and nothing stored when it is not
the Bot Framework's, for our app and tenant). A verified message, ``installationUpdate`` or
``conversationUpdate`` is written to the inbox (``bot.messaging.inbox``, deduplicated on the
activity's id, so a redelivery is stored once; in the serving process's group commit,
``bot.messaging.inbox_writer``) before the 200, as a Slack event is (a 503 when it cannot be);
the worker does the rest (``handlers.teams.work``). A card's ``Action.Execute`` (an invoke) is
answered in the response, as a Slack modal is (``handlers.teams.invoke``). Other activities
(typing, reactions…) are answered 200 and dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from bot.context import AppContext
from bot.messaging.database_watch import StorageFailure
from bot.messaging.inbox_writer import group_receive
from bot.reports.downloads import LinkRefused, download
from handlers.teams.activities import INVOKE, STORED_TYPES, delivery_key
from handlers.teams.auth import ActivityVerifier, Unauthorized, Verified
from handlers.teams.invoke import answer_card_action

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
FILES_PATH = "/files"
TEAMS_ACTIVITY = "teams.activity"  # the inbox kind of a stored activity
MAX_BODY = 256 * 1024

# An invoke (a card's Action.Execute) is answered in its response: (ctx, verified, activity)
# -> (status, JSON body); ``handlers.teams.invoke.answer_card_action`` unless a test says.
InvokeAnswer = Callable[[AppContext, Verified, dict[str, Any]], tuple[int, dict[str, Any]]]


def verifier_for(ctx: AppContext) -> ActivityVerifier:
    settings = ctx.settings
    settings.require_teams()
    assert settings.teams_app_id and settings.teams_tenant_id
    return ActivityVerifier(app_id=settings.teams_app_id, tenant_id=settings.teams_tenant_id,
                            metadata_url=settings.teams_openid_metadata_url)


def teams_blueprint(ctx: AppContext, *, verifier: ActivityVerifier | None = None,
                    invoke: InvokeAnswer | None = None) -> Blueprint:
    blueprint = Blueprint("teams", __name__)
    verifier = verifier or verifier_for(ctx)
    invoke = invoke or answer_card_action

    @blueprint.post(MESSAGES_PATH)
    def messages() -> Response:
        raw = request.get_data(cache=False)
        if len(raw) > MAX_BODY:
            return _json(413, {"error": "too large"})
        try:
            activity = json.loads(raw)
        except ValueError:
            activity = None
        if not isinstance(activity, dict):
            # Verified or not, there is nothing to store; a caller without a token learns
            # nothing more than one with a bad token.
            return _json(401 if not request.headers.get("Authorization") else 400,
                         {"error": "unreadable activity"})
        try:
            verified = verifier.verify(request.headers.get("Authorization"), activity)
        except Unauthorized as refusal:
            log.warning("Teams request refused (401): %s", refusal)
            return _json(401, {"error": "unauthorized"})
        kind = activity.get("type")
        if kind == INVOKE:
            status, body = invoke(ctx, verified, activity)
            return _json(status, body)
        if kind in STORED_TYPES:
            key = delivery_key(activity, hashlib.sha256(raw).hexdigest())
            try:
                stored = group_receive(ctx.engine, key=key, kind=TEAMS_ACTIVITY,
                                       payload={"activity": activity})
            except StorageFailure as failure:  # never a 200 for what was not stored
                log.error("%s not stored (%s): answered 503", key, failure.said)
                return _json(503, {"error": "cannot save now; nothing was recorded"})
            if not stored:
                log.info("%s was received before; acknowledged again", key)
        return Response(status=200)

    @blueprint.get(f"{FILES_PATH}/<token>")
    def report_file(token: str) -> Response:
        """A report's file by its signed, expiring link (posted under the summary in Teams)."""
        try:
            found = download(ctx.engine, ctx.settings, token)
        except LinkRefused as refusal:
            return _json(410 if refusal.expired else 404, {"error": str(refusal)})
        return Response(found.content, mimetype=found.media_type, headers={
            "Content-Disposition": f'attachment; filename="{found.name}"'})

    return blueprint


def _json(status: int, data: dict[str, Any]) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")
