"""One messenger per channel, chosen by the outbox row: ``RoutedMessenger``.

Every recorded message names the channel that delivers it (``OutboxMessage.via``: ``slack``, the
default, ``teams`` or ``email``); ``ragtime.wiring`` fills ``Ports.messenger`` with a
``RoutedMessenger`` holding the channels this deployment has. Nothing here knows what a channel
does: a row for a channel that is not configured fails permanently, so the governance leads are
told.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.ports import FollowUps
from bot.ports.messages import PermanentSendError, RecordedMessage, SendError, SentRef
from bot.ports.updates import Submitted

SLACK = "slack"
EMAIL = "email"
TEAMS = "teams"


class ChannelMessenger(Protocol):
    def send(self, message: RecordedMessage) -> SentRef: ...


class RoutedMessenger:
    """Sends each row through the messenger of its ``via``."""

    def __init__(self, messengers: Mapping[str, ChannelMessenger], *,
                 by_kind: Mapping[str, ChannelMessenger] | None = None) -> None:
        self.messengers = dict(messengers)
        self.by_kind = dict(by_kind or {})  # kinds sent the same whatever the row's channel

    def send(self, message: RecordedMessage) -> SentRef:
        messenger = self.by_kind.get(message.kind) or self.messengers.get(message.via or SLACK)
        if messenger is None:
            raise PermanentSendError(
                f"{message.kind} {message.key} is for {message.via}, which is not configured "
                f"(see .env.example)", error=f"no_{message.via}")
        return messenger.send(message)


class AllFollowUps:
    """The follow-ups of every channel this deployment has (Slack, Teams): each redraws its own
    prompts and tells its own people. Every one runs; the first failure is raised after."""

    def __init__(self, follow_ups: list[FollowUps]) -> None:
        self.follow_ups = list(follow_ups)

    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        failure: SendError | None = None
        for follow_ups in self.follow_ups:
            try:
                follow_ups.after_submit(done, where=where)
            except SendError as error:
                failure = failure or error
        if failure is not None:
            raise failure
