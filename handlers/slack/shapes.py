"""The shape of every signed Slack payload, checked once at the edge before anything reads it.

Bolt and our listeners read known fields as Slack documents them (``user`` an object with a
string ``id``, ``actions`` a non-empty list, ``view.state.values`` block id → action id →
element, a command's ``user_id`` a string…). A payload whose known fields have other types (or
a button value longer than Slack allows) is not from Slack as documented: ``refuse_malformed``
answers it 400 before authorization, so no listener, built-in middleware or the error handler
meets a shape it does not expect. Unknown fields are left alone, and strings are never judged by
their content here (the rules that read them answer the person).

Field types follow https://docs.slack.dev/reference/interaction-payloads and
https://docs.slack.dev/reference/events (the surfaces in ``manifest.yml``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from slack_bolt import BoltResponse

from handlers.slack.blocks.kit import (
    ACTION_ID_LIMIT,
    BLOCK_ID_LIMIT,
    BUTTON_VALUE_LIMIT,
    PRIVATE_METADATA_LIMIT,
)

log = logging.getLogger(__name__)

MALFORMED = 400

Text = str | None
Url = Annotated[str, Field(pattern=r"^https?://")]  # a response_url we will POST to
ActionId = Annotated[str, Field(max_length=ACTION_ID_LIMIT)]
BlockId = Annotated[str, Field(max_length=BLOCK_ID_LIMIT)]


class _Shape(BaseModel):
    """Known fields typed strictly (no "1" for 1, no 1 for "1"); other fields pass as they are."""

    model_config = ConfigDict(strict=True, extra="allow")


class User(_Shape):
    id: str
    team_id: Text = None


class Team(_Shape):
    id: Text = None
    enterprise_id: Text = None


class Enterprise(_Shape):
    id: Text = None


class Channel(_Shape):
    id: Text = None


class Option(_Shape):
    value: Annotated[str, Field(max_length=BUTTON_VALUE_LIMIT)] | None = None


class Element(_Shape):
    """One input's state (``view.state.values[block][action]``)."""

    type: Text = None
    value: Text = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_date: Text = None
    selected_user: Text = None  # users_select (the absence form)


class State(_Shape):
    values: dict[BlockId, dict[ActionId, Element]] = {}


class View(_Shape):
    id: str
    type: str
    callback_id: Annotated[str, Field(max_length=ACTION_ID_LIMIT)] | None = None
    private_metadata: Annotated[str, Field(max_length=PRIVATE_METADATA_LIMIT)] | None = None
    hash: Text = None
    team_id: Text = None
    app_installed_team_id: Text = None
    state: State | None = None


class Action(_Shape):
    action_id: ActionId
    block_id: BlockId | None = None
    type: Text = None
    value: Annotated[str, Field(max_length=BUTTON_VALUE_LIMIT)] | None = None
    selected_option: Option | None = None


class Container(_Shape):
    type: Text = None
    channel_id: Text = None
    message_ts: Text = None
    view_id: Text = None


class Message(_Shape):
    user: Text = None
    ts: Text = None
    thread_ts: Text = None
    text: Text = None


class ResponseUrl(_Shape):
    response_url: Url


class Authorization(_Shape):
    team_id: Text = None
    enterprise_id: Text = None
    user_id: Text = None
    is_enterprise_install: bool | None = None


class Event(_Shape):
    type: str


class Payload(_Shape):
    """Fields any payload may carry and Bolt or Ragtime read whatever the payload's type."""

    type: Text = None
    token: Text = None
    api_app_id: Text = None
    team_id: Text = None
    enterprise_id: Text = None
    user_id: Text = None
    channel_id: Text = None
    command: Text = None
    text: Text = None
    trigger_id: Text = None
    response_url: Url | None = None
    is_enterprise_install: bool | str | None = None  # a command's form sends "false"
    user: User | None = None
    team: Team | None = None
    enterprise: Enterprise | None = None
    channel: Channel | None = None
    container: Container | None = None
    message: Message | None = None
    view: View | None = None
    state: State | None = None
    actions: list[Action] | None = None
    response_urls: list[ResponseUrl] | None = None
    authorizations: list[Authorization] | None = None
    event: Event | None = None

    @field_validator("view", "event", mode="before")
    @classmethod
    def _an_object_when_present(cls, value: object) -> object:
        """Bolt reads ``view`` and ``event`` whenever the key is there (``null`` included)."""
        if value is None:
            raise ValueError("must be an object when present")
        return value


class Command(Payload):
    command: str
    user_id: str
    team_id: str
    response_url: Url


class BlockActions(Payload):
    type: Literal["block_actions"]
    user: User
    trigger_id: str
    actions: Annotated[list[Action], Field(min_length=1)]


class ViewSubmission(Payload):
    type: Literal["view_submission", "view_closed"]
    user: User
    view: View


class EventCallback(Payload):
    type: Literal["event_callback"]
    event: Event


class MessageEvent(_Shape):
    """``message`` (``message.im``), every subtype."""

    type: Literal["message"]
    user: Text = None
    channel: Text = None
    channel_type: Text = None
    subtype: Text = None
    bot_id: Text = None
    text: Text = None
    ts: Text = None
    thread_ts: Text = None
    client_msg_id: Text = None
    team: Text = None
    user_team: Text = None
    message: Message | None = None
    previous_message: Message | None = None


class HomeOpenedEvent(_Shape):
    type: Literal["app_home_opened"]
    user: str
    channel: Text = None
    tab: Text = None
    team: Text = None


class Profile(_Shape):
    status_text: Text = None
    status_emoji: Text = None
    status_expiration: int | None = None


class ChangedUser(_Shape):
    id: str
    profile: Profile | None = None


class UserChangeEvent(_Shape):
    """``user_change``: someone's profile (their status, for ``bot.collection.away_signal``)."""

    type: Literal["user_change"]
    user: ChangedUser


SURFACES: dict[str, type[Payload]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "view_closed": ViewSubmission,
    "event_callback": EventCallback,
}
EVENTS: dict[str, type[_Shape]] = {"message": MessageEvent, "app_home_opened": HomeOpenedEvent,
                                   "user_change": UserChangeEvent}


def shape_problem(body: object) -> str | None:
    """Where ``body`` breaks the documented shape (field paths only, never values), or None."""
    if not isinstance(body, dict):
        return "not an object"
    model = Command if "command" in body else SURFACES.get(str(body.get("type")), Payload)
    try:
        model.model_validate(body)
        event = body.get("event")
        if model is EventCallback and isinstance(event, dict) and event.get("type") in EVENTS:
            EVENTS[event["type"]].model_validate(event)
    except ValidationError as error:
        return _where(error)
    return None


def _where(error: ValidationError) -> str:
    """The first few failing field paths, each part cut short (block ids are the sender's)."""
    paths = {".".join(str(part)[:40] for part in item["loc"]) or "body"
             for item in error.errors(include_url=False, include_input=False)}
    return ", ".join(sorted(paths)[:3])


def refuse_malformed(body: dict[str, Any], next: Callable[[], Any]) -> Any:
    """Bolt middleware (``App(before_authorize=...)``): a payload of the wrong shape gets a 400
    and goes no further; it is logged by its field paths, without the values."""
    problem = shape_problem(body)
    if problem is None:
        return next()
    kind = body.get("type") if isinstance(body.get("type"), str) else (
        "command" if "command" in body else "unknown")
    log.warning("refused a malformed %s payload (%s): answered %s", str(kind)[:40], problem,
                MALFORMED)
    return BoltResponse(status=MALFORMED, body="malformed payload")
