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

from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef

SLACK = "slack"
EMAIL = "email"
TEAMS = "teams"


class ChannelMessenger(Protocol):
    def send(self, message: RecordedMessage) -> SentRef: ...


class RoutedMessenger:
    """Sends each row through the messenger of its ``via``."""

    def __init__(self, messengers: Mapping[str, ChannelMessenger]) -> None:
        self.messengers = dict(messengers)

    def send(self, message: RecordedMessage) -> SentRef:
        messenger = self.messengers.get(message.via or SLACK)
        if messenger is None:
            raise PermanentSendError(
                f"{message.kind} {message.key} is for {message.via}, which is not configured "
                f"(see .env.example)", error=f"no_{message.via}")
        return messenger.send(message)
