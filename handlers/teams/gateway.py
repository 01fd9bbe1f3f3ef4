"""The one door to the Bot Framework connector (Teams' REST API), as Slack's gateway is to its
Web API: the token, the calls, pacing, retries and the errors the domain understands.

- The token: client credentials at ``RAGTIME_TEAMS_LOGIN_URL``/{tenant}/oauth2/v2.0/token
  (scope ``https://api.botframework.com/.default``), kept until five minutes before it expires.
- The calls go through the SDK's ``ApiClient`` on the one SDK loop (``handlers.teams.sdk``), to
  the ``serviceUrl`` stored with each conversation: create a conversation, post an activity,
  update one in place (PUT), look a member up.
- Pacing: Teams allows about 7 messages a second per conversation and 30 requests a second per
  app and tenant; each call waits for its turn on both (``Pacer``).
- Retries: 429, 412, 500, 502, 503 and 504, timeouts and broken connections are tried again,
  after ``Retry-After`` when the answer gives one, else with doubling back-off; what still fails
  is a ``TransientSendError`` (the outbox tries again later). Anything else the connector
  refuses (403: the person blocked or removed the app; 404: no such conversation) is a
  ``PermanentSendError``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bot.ports.messages import PermanentSendError, TransientSendError
from bot.settings import Settings
from handlers.teams.sdk import ApiClient, ClientOptions, sdk_loop

log = logging.getLogger(__name__)
T = TypeVar("T")

BOT_SCOPE = "https://api.botframework.com/.default"
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.5
MAX_WAIT = 60.0  # a Retry-After longer than this is not waited for here: the outbox retries
CALL_TIMEOUT = 15.0
TOKEN_MARGIN = 300.0
PER_CONVERSATION = 1 / 7  # seconds between two messages to one conversation
PER_APP = 1 / 30  # seconds between two requests of the app


class Pacer:
    """Hands out send times: no conversation more often than ``per_key`` and the app no more
    often than ``per_app``; ``hold`` pushes a conversation back (its Retry-After)."""

    def __init__(self, *, per_key: float = PER_CONVERSATION, per_app: float = PER_APP,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_key, self.per_app = per_key, per_app
        self.clock, self.sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._app_next = 0.0
        self._lock = threading.Lock()

    def wait_turn(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next.get(key, 0.0), self._app_next)
            self._next[key] = start + self.per_key
            self._app_next = start + self.per_app
        if start > now:
            self.sleep(start - now)

    def hold(self, key: str, seconds: float) -> None:
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self.clock() + seconds)


class BotToken:
    """The app's access token for the connector (or, with another ``scope``, for Microsoft
    Graph), by client credentials, cached."""

    def __init__(self, settings: Settings, *, scope: str = BOT_SCOPE) -> None:
        settings.require_teams()
        assert settings.teams_app_id and settings.teams_app_password
        self._url = (f"{settings.teams_login_url}/{settings.teams_tenant_id}"
                     "/oauth2/v2.0/token")
        self._form = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": settings.teams_app_id,
            "client_secret": settings.teams_app_password.get_secret_value(),
            "scope": scope}).encode()
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() > self._expires:
                self._token, lifetime = self._fetch()
                self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN, 30.0)
            return self._token

    @property
    def cached(self) -> str | None:
        return self._token

    def forget(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        request = urllib.request.Request(self._url, data=self._form, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code in (400, 401, 403):
                raise PermanentSendError(
                    f"the Teams login refused RAGTIME_TEAMS_APP_ID/RAGTIME_TEAMS_APP_PASSWORD "
                    f"(HTTP {error.code} from {self._url})", error="teams_login_refused"
                ) from None
            raise TransientSendError(f"the Teams login answered HTTP {error.code}",
                                     error="teams_login_unavailable") from None
        except (OSError, ValueError) as error:
            raise TransientSendError(f"the Teams login is unreachable: {error}",
                                     error="teams_login_unavailable") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientSendError("the Teams login gave no access token",
                                     error="teams_login_unavailable")
        return token, float(body.get("expires_in") or 3600)


@dataclass(frozen=True)
class Where:
    """A conversation as the connector knows it."""

    service_url: str
    conversation_id: str


class TeamsGateway:
    def __init__(self, settings: Settings, *, pacer: Pacer | None = None,
                 timeout: float = CALL_TIMEOUT, first_backoff: float = FIRST_BACKOFF) -> None:
        self.settings = settings
        self.tokens = BotToken(settings)
        self.pacer = pacer or Pacer()
        self.timeout = timeout
        self.first_backoff = first_backoff
        self._clients: dict[str, ApiClient] = {}
        self._lock = threading.Lock()

    # -- the calls -----------------------------------------------------------------------
    def post(self, where: Where, activity: dict[str, Any]) -> str:
        """Post ``activity`` (a plain Bot Framework activity) in the conversation; its id."""
        async def call(api: ApiClient) -> str:
            response = await api.http.post(self._url(where, "activities"), json=activity)
            return str(_json(response).get("id") or "")
        return self._call(where, call)

    def update(self, where: Where, activity_id: str, activity: dict[str, Any]) -> None:
        """Replace the activity ``activity_id`` (a card updated in place)."""
        async def call(api: ApiClient) -> None:
            await api.http.put(self._url(where, f"activities/{_quote(activity_id)}"),
                               json={**activity, "id": activity_id})
        self._call(where, call)

    def member(self, where: Where, member_id: str) -> dict[str, Any]:
        """The member ``member_id`` of the conversation (email, userPrincipalName…)."""
        async def call(api: ApiClient) -> dict[str, Any]:
            response = await api.http.get(self._url(where, f"members/{_quote(member_id)}"))
            return _json(response)
        return self._call(where, call)

    def open_personal(self, service_url: str, aad_object_id: str) -> str:
        """The id of the 1:1 conversation with the user (POST /v3/conversations)."""
        tenant = self.settings.teams_tenant_id or ""
        where = Where(service_url.rstrip("/"), f"new:{aad_object_id}")

        async def call(api: ApiClient) -> str:
            response = await api.http.post(f"{where.service_url}/v3/conversations", json={
                "isGroup": False, "tenantId": tenant, "members": [{"id": aad_object_id}],
                "channelData": {"tenant": {"id": tenant}}})
            return str(_json(response).get("id") or "")
        return self._call(where, call)

    # -- plumbing ------------------------------------------------------------------------
    def _url(self, where: Where, rest: str) -> str:
        return f"{where.service_url}/v3/conversations/{_quote(where.conversation_id)}/{rest}"

    def _api(self, service_url: str) -> ApiClient:
        with self._lock:
            api = self._clients.get(service_url)
            if api is None:
                api = ApiClient(service_url, ClientOptions(token=lambda: self.tokens.cached,
                                                           timeout=self.timeout))
                self._clients[service_url] = api
            return api

    def _call(self, where: Where, call: Callable[[ApiClient], Coroutine[Any, Any, T]]) -> T:
        api = self._api(where.service_url)
        backoff = self.first_backoff
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.tokens.get()
            self.pacer.wait_turn(where.conversation_id)
            try:
                return sdk_loop().run(call(api), timeout=self.timeout * 2)
            except httpx.HTTPStatusError as error:
                status = error.response.status_code
                if status == 401 and not refreshed:  # a token revoked early: one more try
                    self.tokens.forget()
                    refreshed = True
                    continue
                if status not in RETRY_STATUSES:
                    raise PermanentSendError(
                        f"Teams refused the call (HTTP {status})",
                        error=_ERRORS.get(status, f"teams_http_{status}")) from None
                wait = _retry_after(error.response) or backoff
                code = f"teams_http_{status}"
            except (httpx.TimeoutException, TimeoutError):
                wait, code = backoff, "teams_timeout"
            except httpx.TransportError as error:
                wait, code = backoff, f"teams_unreachable ({type(error).__name__})"
            if attempt == MAX_ATTEMPTS or wait > MAX_WAIT:
                raise TransientSendError(f"Teams did not take the call after {attempt} "
                                         f"attempt(s): {code}", error=code)
            log.info("Teams call to %s: %s; trying again in %.1f s", where.conversation_id[:12],
                     code, wait)
            self.pacer.hold(where.conversation_id, wait)
            backoff *= 2
        raise AssertionError("unreachable")


_ERRORS = {403: "teams_forbidden", 404: "teams_conversation_not_found",
           400: "teams_bad_request", 401: "teams_unauthorized"}


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe=":@;")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None
