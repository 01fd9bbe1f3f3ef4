"""Listeners that acknowledge at once and call Slack's Web API after.

Ragtime's Bolt apps answer Slack when a listener returns (``process_before_response``): the
answer goes out as soon as the work is done, where Bolt's other mode polls every 10 ms for the
``ack`` from a listener thread. A button that opens a modal must still be answered before its
``views.open`` (300 ms or more, and never on the path to the ack), so it is registered as
``acked_first(work)``: the listener acknowledges, and ``work`` runs on a listener thread through
``context["after_ack"]`` (set by the composition root, which routes its errors to the app's one
error handler; the worker runs it in place).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import BoltContext

AFTER_ACK = "after_ack"  # Bolt context key: runs a callable once Slack has been answered

Work = Callable[..., None]
# What the composition root puts at AFTER_ACK: run the work (no arguments) after the answer, with
# the request's body and context for its error handling.
AfterAck = Callable[[Callable[[], None], dict[str, Any], BoltContext], None]


def acked_first(work: Work) -> Callable[..., None]:
    """A block-action listener that acknowledges and leaves ``work`` until after the answer.
    ``work`` takes any of ``body``, ``action``, ``respond`` and ``ctx``, by name."""
    wanted = inspect.getfullargspec(work).args

    def listener(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any,
                 context: BoltContext) -> None:
        ack()
        given = {"body": body, "action": action, "respond": respond, "ctx": context["ctx"]}
        context[AFTER_ACK](partial(work, **{name: given[name] for name in wanted}), body, context)

    listener.__name__ = listener.__qualname__ = work.__name__
    return listener
