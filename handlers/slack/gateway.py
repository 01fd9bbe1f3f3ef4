"""The one door for outbound Slack calls: retries and error classes.

``make_web_client`` builds the ``WebClient`` (also handed to Bolt) with slack_sdk's retry
handlers: 429s wait for ``Retry-After``, 500/503 and dropped or timed-out connections are
retried with back-off. ``SlackGateway`` wraps the few methods Ragtime uses and turns Slack
errors into ``PermanentSendError`` (retrying cannot help: fix the channel, user or message) or
``TransientSendError`` (Slack or the network was unwell even after the retries).

A retried post after a timeout can, in the worst case, post twice: Slack offers no idempotency key
for ``chat.postMessage``. Callers that must not duplicate record the returned ``ts`` (outbox).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any, NamedTuple
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.ports.messages import PermanentSendError as PermanentChannelError
from bot.ports.messages import SendError
from bot.ports.messages import TransientSendError as TransientChannelError
from bot.settings import Settings
from handlers.slack.pacing import Pacer

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 15
RATE_LIMIT_RETRIES = 5  # each waits Retry-After (+ jitter): survives a burst of 429s
SERVER_ERROR_RETRIES = 3  # back-off 0.5s, 1s, 2s
CONNECTION_RETRIES = 2

# Errors retrying cannot fix: the caller must change the channel, user, message or app setup.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "invalid_channel",
    "user_not_found", "users_not_found", "user_not_visible", "cannot_dm_bot", "user_disabled",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "restricted_action", "not_allowed_token_type", "invalid_auth", "not_authed",
    "account_inactive", "token_revoked", "token_expired", "missing_scope", "no_permission",
    "invalid_arguments", "invalid_trigger_id", "expired_trigger_id", "exchanged_trigger_id",
    "view_too_large", "hash_conflict", "not_found", "message_not_found", "cant_update_message",
    "edit_window_closed", "file_not_found", "method_deprecated", "team_access_not_granted",
    "ekm_access_denied",
})
# Errors worth another try later (after the client's own retries gave up).
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
    "request_timeout", "timeout",
})


class PromptRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Honours ``Retry-After`` like slack_sdk's handler, with a smaller random spread, and tells
    the ``Pacer`` (``handlers.slack.pacing``), which spaces the next calls so they are not
    refused again.

    slack_sdk sleeps ``Retry-After`` plus up to a whole extra second; against a rate limit
    reset every second that wastes about a third of a fan-out's time. A tenth of a second
    still spreads out concurrent senders."""

    def __init__(self, *, max_retry_count: int, pacer: Pacer | None = None) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer or Pacer()

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        headers = {key.lower(): value for key, value in response.headers.items()}
        values = headers.get("retry-after") or ["1"]
        try:
            wait = max(0.0, float(values[0]))
        except (TypeError, ValueError):
            wait = 1.0
        self.pacer.limited(request.url.rsplit("/", 1)[-1], wait)
        state.next_attempt_requested = True
        time.sleep(wait + random.random() * 0.1)
        state.increment_current_attempt()


class SlackSendError(SendError):
    """An outbound Slack call failed; ``error`` is Slack's error code (or the network error)."""

    def __init__(self, method: str, error: str, *, status: int | None = None) -> None:
        self.method, self.status = method, status
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"Slack {method} failed: {error}{where}", error=error)


class PermanentSendError(SlackSendError, PermanentChannelError):
    """Retrying will not help (unknown channel, user not found, invalid blocks, bad token…).

    Also the domain's ``PermanentSendError``, so the outbox marks the message failed at once."""


class TransientSendError(SlackSendError, TransientChannelError):
    """Slack or the network failed even after the built-in retries; try again later."""


class Posted(NamedTuple):
    channel: str
    ts: str


# -- client ------------------------------------------------------------------------------------

def retry_handlers(
    *,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    server_error_retries: int = SERVER_ERROR_RETRIES,
    connection_retries: int = CONNECTION_RETRIES,
    interval: RetryIntervalCalculator | None = None,
) -> list[RetryHandler]:
    """429 (honours Retry-After), 500/503, and connection resets, drops and read time-outs.

    ``interval`` replaces the exponential back-off (with jitter) between 5xx/connection retries.
    """
    backoff = interval or BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        PromptRateLimitRetryHandler(max_retry_count=rate_limit_retries),
        ServerErrorRetryHandler(max_retry_count=server_error_retries, interval_calculator=backoff),
        # slack_sdk's default list misses read time-outs (TimeoutError), which urllib raises bare.
        ConnectionErrorRetryHandler(
            max_retry_count=connection_retries,
            interval_calculator=backoff,
            error_types=[URLError, ConnectionError, RemoteDisconnected, TimeoutError],
        ),
    ]


def make_web_client(
    settings: Settings,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    server_error_retries: int = SERVER_ERROR_RETRIES,
    connection_retries: int = CONNECTION_RETRIES,
    retry_interval: RetryIntervalCalculator | None = None,
) -> WebClient:
    """The WebClient for the bot token, talking to ``settings.slack_api_url`` (GovSlack, tests)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,  # type: ignore[arg-type]  # urllib accepts float seconds
        retry_handlers=retry_handlers(
            rate_limit_retries=rate_limit_retries,
            server_error_retries=server_error_retries,
            connection_retries=connection_retries,
            interval=retry_interval,
        ),
    )


# -- gateway -----------------------------------------------------------------------------------

class SlackGateway:
    """Outbound Slack calls. Text passed in must already be escaped
    (``handlers.slack.blocks.kit``)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.pacer = next((handler.pacer for handler in client.retry_handlers
                           if isinstance(handler, PromptRateLimitRetryHandler)), Pacer())

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        *,
        unfurl: bool = False,
    ) -> Posted:
        """Post to a channel or user id (a user id posts to their DM); returns (channel, ts)."""
        response = self._call(
            "chat.postMessage", self.client.chat_postMessage, channel=channel, text=text,
            blocks=list(blocks) if blocks else None, thread_ts=thread_ts,
            unfurl_links=unfurl, unfurl_media=unfurl,
        )
        return Posted(response["channel"], response["ts"])

    def update_message(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        self._call("chat.update", self.client.chat_update, channel=channel, ts=ts, text=text,
                   blocks=list(blocks) if blocks is not None else None)

    def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a posted message, or None when Slack cannot give one."""
        try:
            response = self._call("chat.getPermalink", self.client.chat_getPermalink,
                                  channel=channel, message_ts=ts)
        except SlackSendError as error:
            log.info("no permalink for %s/%s: %s", channel, ts, error.error)
            return None
        link = response.get("permalink")
        return str(link) if link else None

    def post_ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> None:
        self._call("chat.postEphemeral", self.client.chat_postEphemeral, channel=channel,
                   user=user, text=text, blocks=list(blocks) if blocks else None,
                   thread_ts=thread_ts)

    def open_dm(self, user_id: str) -> str:
        """The DM channel id with ``user_id`` (conversations.open)."""
        response = self._call("conversations.open", self.client.conversations_open,
                              users=[user_id])
        return response["channel"]["id"]

    def history(self, channel: str, *, oldest: float, limit: int = 200) -> list[dict[str, Any]]:
        """Top-level messages in ``channel`` since ``oldest`` (a Unix time), newest first."""
        response = self._call("conversations.history", self.client.conversations_history,
                              channel=channel, oldest=f"{oldest:.6f}", limit=limit)
        return list(response.get("messages") or [])

    def upload_files(
        self,
        channel: str,
        files: Sequence[Path],
        initial_comment: str | None = None,
        thread_ts: str | None = None,
    ) -> list[str]:
        """Share files in one message (files_upload_v2); returns the Slack file ids."""
        uploads = [{"file": str(path), "filename": path.name, "title": path.name}
                   for path in files]
        if not uploads:
            raise ValueError("upload_files needs at least one file")
        response = self._call("files.completeUploadExternal", self.client.files_upload_v2,
                              file_uploads=uploads, channel=channel,
                              initial_comment=initial_comment, thread_ts=thread_ts)
        return [item["id"] for item in response.get("files") or []]

    def lookup_user_by_email(self, email: str) -> str | None:
        """The Slack user id for ``email``, or None when no such user is visible."""
        try:
            response = self._call("users.lookupByEmail", self.client.users_lookupByEmail,
                                  email=email)
        except PermanentSendError as error:
            if error.error in ("users_not_found", "user_not_found"):
                return None
            raise
        return response["user"]["id"]

    def user_info(self, user_id: str) -> dict[str, Any]:
        response = self._call("users.info", self.client.users_info, user=user_id)
        return dict(response["user"])

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Open a modal; returns the view Slack stored (its ``id`` and ``hash``)."""
        response = self._call("views.open", self.client.views_open, trigger_id=trigger_id,
                              view=view)
        return dict(response["view"])

    def update_view(
        self, view_id: str, view: dict[str, Any], hash: str | None = None
    ) -> dict[str, Any]:
        response = self._call("views.update", self.client.views_update, view_id=view_id,
                              view=view, hash=hash)
        return dict(response["view"])

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self._call("views.publish", self.client.views_publish, user_id=user_id, view=view)

    def _call(self, method: str, function: Any, **kwargs: Any) -> Any:
        arguments = {key: value for key, value in kwargs.items() if value is not None}
        self.pacer.wait_turn(method)
        try:
            answer = function(**arguments)
            self.pacer.accepted(method)
            return answer
        except SlackApiError as error:
            raise _classify(method, error) from error
        except SlackRequestError as error:
            if "Failed to upload" in str(error):  # the file POST itself; slack_sdk never retries it
                raise TransientSendError(method, str(error)) from error
            raise PermanentSendError(method, str(error)) from error
        except SlackClientError as error:
            raise PermanentSendError(method, str(error)) from error
        except (URLError, OSError) as error:  # network trouble after the retries gave up
            reason = getattr(error, "reason", None) or error
            raise TransientSendError(method, f"{type(error).__name__}: {reason}") from error


def _classify(method: str, error: SlackApiError) -> SlackSendError:
    response = error.response
    status = getattr(response, "status_code", None)
    code = (response.get("error") if response is not None and hasattr(response, "get") else None)
    code = str(code or f"http_{status}")
    if code in TRANSIENT_ERRORS or status == 429 or (status is not None and status >= 500):
        return TransientSendError(method, code, status=status)
    if code in PERMANENT_ERRORS:
        return PermanentSendError(method, code, status=status)
    log.warning("Slack %s returned unrecognised error %r; treating it as permanent", method, code)
    return PermanentSendError(method, code, status=status)
