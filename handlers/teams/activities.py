"""Reading a Bot Framework activity (a plain JSON dict): who, where, which tenant.

The activity is only read after its token is verified (``handlers.teams.auth``); the person is
``from.aadObjectId`` of that verified activity, never anything a card sent back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE = "message"
INSTALLATION_UPDATE = "installationUpdate"
CONVERSATION_UPDATE = "conversationUpdate"
INVOKE = "invoke"
CARD_ACTION = "adaptiveCard/action"
STORED_TYPES = frozenset({MESSAGE, INSTALLATION_UPDATE, CONVERSATION_UPDATE})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def tenant_of(activity: dict[str, Any]) -> str:
    """The tenant the activity names (``channelData.tenant.id``, else the conversation's)."""
    return (_text(_dict(_dict(activity.get("channelData")).get("tenant")).get("id"))
            or _text(_dict(activity.get("conversation")).get("tenantId")))


@dataclass(frozen=True)
class ConversationRef:
    """What reaches a Teams user again later: their 1:1 conversation and its service URL."""

    aad_object_id: str  # lower-case
    user_id: str  # the channel's id of the user (29:…), for member lookups
    name: str
    conversation_id: str
    service_url: str
    tenant_id: str
    personal: bool  # a 1:1 chat with the bot (not a channel or group chat)


def conversation_ref(activity: dict[str, Any]) -> ConversationRef | None:
    """The sender's conversation reference, or None when the activity lacks one."""
    sender = _dict(activity.get("from"))
    conversation = _dict(activity.get("conversation"))
    aad = _text(sender.get("aadObjectId")).lower()
    conversation_id = _text(conversation.get("id"))
    service_url = _text(activity.get("serviceUrl"))
    if not (aad and conversation_id and service_url):
        return None
    kind = _text(conversation.get("conversationType")) or "personal"
    return ConversationRef(aad_object_id=aad, user_id=_text(sender.get("id")),
                           name=_text(sender.get("name")), conversation_id=conversation_id,
                           service_url=service_url.rstrip("/"), tenant_id=tenant_of(activity),
                           personal=kind == "personal")


def delivery_key(activity: dict[str, Any], digest: str) -> str:
    """The inbox key of an activity: its id (a retry by the Bot Framework repeats it), else the
    body's digest."""
    ident = _text(activity.get("id"))
    conversation = _text(_dict(activity.get("conversation")).get("id"))
    return f"teams:{conversation}:{ident}" if ident else f"teams:sha256:{digest}"
