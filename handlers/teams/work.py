"""What the worker does with a Teams activity the serving process verified and stored
(``handlers.teams.inbound``): capture the conversation that reaches the sender and match them to
a person by the email or UPN Teams gives (a member lookup in the conversation), welcome them on
install, forget them when they remove the app. Messages typed to the bot are answered by
``handlers.teams.commands`` when it is given one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.context import AppContext
from bot.framework.teams import TeamsConversation, forget_conversation, remember_conversation
from bot.ports.messages import PermanentSendError
from handlers.teams.activities import (
    INSTALLATION_UPDATE,
    MESSAGE,
    ConversationRef,
    conversation_ref,
)
from handlers.teams.cards.build import card_activity
from handlers.teams.cards.update import notice_card
from handlers.teams.gateway import TeamsGateway, Where

log = logging.getLogger(__name__)

REMOVED = frozenset({"remove", "remove-upgrade"})
WELCOME = ("Hello {name}. Ragtime will send your quarterly update prompts here; answer on the "
           "card each one comes with.")
UNMATCHED = ("Hello. Ragtime could not match your Teams account to anyone in the framework "
             "file (it looks for your email): ask the governance team to check it. Until then "
             "you will not be prompted here.")

# A typed message: (ctx, gateway, where it came from, the activity) -> handled. Filled by the
# composition root with handlers.teams.commands when it exists.
MessageHandler = Callable[[AppContext, TeamsGateway, ConversationRef, dict[str, Any]], None]


def do_activity(ctx: AppContext, gateway: TeamsGateway, payload: dict[str, Any], *,
                on_message: MessageHandler | None = None) -> None:
    activity = payload.get("activity") if isinstance(payload.get("activity"), dict) else {}
    kind = activity.get("type")
    ref = conversation_ref(activity)
    if ref is None:
        return
    if kind == INSTALLATION_UPDATE and activity.get("action") in REMOVED:
        forget_conversation(ctx.engine, ref.aad_object_id)
        log.info("Teams: %s removed the app", ref.aad_object_id)
        return
    if ref.personal:
        known = capture(ctx, gateway, ref)
        if kind == INSTALLATION_UPDATE:
            text = (WELCOME.format(name=known.person_name) if known.person_id is not None
                    else UNMATCHED)
            gateway.post(Where(ref.service_url, ref.conversation_id),
                         card_activity(notice_card(text), "Welcome to Ragtime"))
    if kind == MESSAGE and on_message is not None:
        on_message(ctx, gateway, ref, activity)


def capture(ctx: AppContext, gateway: TeamsGateway, ref: ConversationRef) -> TeamsConversation:
    """Store the sender's 1:1 conversation, matched by their email and UPN."""
    where = Where(ref.service_url, ref.conversation_id)
    try:
        member = gateway.member(where, ref.user_id or ref.aad_object_id)
    except PermanentSendError as error:  # not a member any more: store, unmatched
        log.warning("Teams member lookup failed for %s: %s", ref.aad_object_id, error)
        member = {}
    addresses = [str(member.get(name) or "") for name in ("email", "userPrincipalName")]
    return remember_conversation(ctx.engine, aad_object_id=ref.aad_object_id,
                                 tenant_id=ref.tenant_id, conversation_id=ref.conversation_id,
                                 service_url=ref.service_url, addresses=addresses,
                                 name=ref.name or str(member.get("name") or ""))
