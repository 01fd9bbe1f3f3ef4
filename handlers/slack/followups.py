"""The ``FollowUps`` port on Slack: what people see after an update is stored.

``bot`` gathers the values (``bot.collection.followups.Submitted``) after the update commits and
calls ``after_submit``; here they become the confirmation to the author, every prompt card of
the deliverable redrawn (``chat.update``; each joint SRO has one), every request for changes to
it redrawn with the version saved, and a notice to the co-owners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.collection.submissions import after_form
from bot.ports.messages import RecordedMessage, SentRef
from bot.ports.updates import Stored, Submitted
from handlers.slack.blocks.prompt import prompt_message
from handlers.slack.blocks.replies import co_owner_reply, received_reply
from handlers.slack.blocks.reprompt import Saved, render_reprompt
from handlers.slack.context import SlackContext
from handlers.slack.gateway import SlackSendError
from handlers.slack.home.opened import refresh_home

log = logging.getLogger(__name__)


class SlackFollowUps:
    """Confirmation, refreshed prompt cards, co-owners told."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx

    def after_submit(self, done: Submitted, *, where: tuple[str, str] | None) -> None:
        """Confirm, then refresh and tell the others. A failed confirmation is raised. In a
        thread (``where``) nothing else is sent then: Slack redelivers the reply and its retry
        does all of it. After a form (no ``where``) nothing will retry, so the prompts are
        still refreshed (they show the stored update) before the error is raised."""
        try:
            confirm_to_actor(self.ctx, done, where=where)
        except SlackSendError:
            if where is None:
                refresh_and_tell_others(self.ctx, done)
            raise
        refresh_and_tell_others(self.ctx, done)


def confirm_to_actor(ctx: SlackContext, done: Submitted, *, where: tuple[str, str] | None
                     ) -> None:
    """The confirmation, in ``where`` (channel, thread) or the actor's prompt thread, else a DM
    (none for an author without a Slack account: the web form). Raises ``SlackSendError`` when
    Slack refuses it."""
    update = done.stored
    if not update.actor:  # entered in the web form by someone not on Slack: nothing to post
        return
    message = received_reply(rag=update.rag, narrative=update.narrative, version=update.version,
                             period_label=update.period.label, number=update.number,
                             title=update.title, superseded=update.superseded)
    target = where or done.prompt_of(update.actor)
    if target is not None:
        ctx.gateway.post_message(target[0], message.text, message.blocks, thread_ts=target[1])
    else:
        ctx.gateway.post_message(update.actor, message.text, message.blocks)


def refresh_and_tell_others(ctx: SlackContext, done: Submitted) -> None:
    """Show the new version on every prompt of the deliverable (each joint SRO has one) and on
    every governance lead's request for changes to it, and tell the other SROs and delegates.
    Best effort: a failure is logged, the update is stored."""
    for _to, channel, ts, card in done.prompts:
        message = prompt_message(card, ctx.settings.tz)
        _quietly("chat.update", lambda c=channel, t=ts, m=message: ctx.gateway.update_message(
            c, t, m.text, m.blocks))
    update = done.stored
    for sent in done.change_requests:
        by = "you" if sent.to == update.actor else done.actor_name or "a co-owner"
        text, blocks = render_reprompt({**sent.request, "rag": update.rag.value},
                                       Saved(update.version, by))
        _quietly("chat.update", lambda c=sent.channel, t=sent.ts, x=text, b=blocks:
                 ctx.gateway.update_message(c, t, x, b))
    notice = co_owner_reply(by=done.actor_name, rag=update.rag, narrative=update.narrative,
                            version=update.version, period_label=update.period.label,
                            number=update.number, title=update.title)
    for user in update.co_owners:
        thread = done.prompt_of(user)
        channel, ts = thread if thread else (user, None)
        _quietly("co-owner notice", lambda c=channel, t=ts: ctx.gateway.post_message(
            c, notice.text, notice.blocks, thread_ts=t))


def _quietly(what: str, call: Callable[[], object]) -> None:
    try:
        call()
    except SlackSendError as error:
        log.warning("%s failed: %s", what, error)


def send_follow_up(ctx: SlackContext, message: RecordedMessage) -> SentRef:
    """The outbox's ``follow_up`` message (recorded with a stored form): confirm, refresh the
    prompt cards, tell the co-owners and, for a form opened from the Home tab, republish it."""
    stored = Stored.from_payload(message.payload)
    after_form(ctx, stored)
    if message.payload.get("refresh_home"):
        refresh_home(ctx, stored.actor)
    return SentRef(channel="", ts="")  # several messages; none is a thread to answer in
