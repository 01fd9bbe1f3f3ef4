"""``deliver_outbox``: what the outbox holds, sent through the context's messenger."""

from bot.context import AppContext
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import record_message
from bot.ports import Ports
from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef
from bot.settings import Settings
from storage.db import session_scope


class _Messenger:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: RecordedMessage) -> SentRef:
        if message.payload.get("to") == "U0GONE":
            raise PermanentSendError("user_not_found")
        self.sent.append(message.key)
        return SentRef("D0" + message.payload["to"], f"1.{len(self.sent)}")


def test_pending_messages_go_through_the_messenger_and_failures_are_reported(engine):
    messenger = _Messenger()
    ports = Ports(messenger=messenger, directory=None, reports=None,  # type: ignore[arg-type]
                  follow_ups=None)  # type: ignore[arg-type]
    ctx = AppContext(settings=Settings(), engine=engine, ports=ports)
    with session_scope(engine, write=True) as session:
        record_message(session, key="a", kind="notice", payload={"to": "U0A"})
        record_message(session, key="b", kind="prompt", payload={"to": "U0B"})
        record_message(session, key="c", kind="notice", payload={"to": "U0GONE"})

    notices = deliver_outbox(ctx, kinds={"notice"})

    assert (notices.sent, notices.failed) == (1, 1) and messenger.sent == ["a"]
    assert [failure.key for failure in notices.failures] == ["c"]
    rest = deliver_outbox(ctx)
    assert (rest.sent, rest.failed) == (1, 0) and messenger.sent == ["a", "b"]
