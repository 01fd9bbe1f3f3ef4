"""Microsoft Graph for Teams, optional (``RAGTIME_TEAMS_GRAPH=true``, off by default): find a
person by email and add Ragtime in Teams for them, so they can be prompted there without
adding it themselves.

Three application permissions, granted by a tenant administrator: ``User.Read.All`` (``GET
/v1.0/users/{email}``: their AAD object id), ``AppCatalog.Read.All`` (the app's id in the
organisation's catalog, found by its manifest id, which is ``RAGTIME_TEAMS_APP_ID``) and
``TeamsAppInstallation.ReadWriteSelfForUser.All`` (``POST
/v1.0/users/{id}/teamwork/installedApps``: Ragtime installs itself, nothing else). Teams then
sends Ragtime the installation, as when a person adds it (``handlers.teams.work`` captures the
conversation and matches them by email). NHSmail's shared tenant needs national approval for
application permissions, so nothing else depends on this.

The token is the app's, by client credentials at ``RAGTIME_TEAMS_LOGIN_URL`` for the scope
``{RAGTIME_TEAMS_GRAPH_URL}/.default``.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bot.ports.messages import PermanentSendError, SendError, TransientSendError
from bot.settings import Settings, SettingsError
from handlers.teams.gateway import BotToken

log = logging.getLogger(__name__)

GRAPH_TIMEOUT = 20.0
INSTALLED, ALREADY, NOT_FOUND = "installed", "already installed", "not found in the tenant"


class TeamsGraph:
    def __init__(self, settings: Settings, *, tokens: BotToken | None = None) -> None:
        settings.require_teams()
        if not settings.teams_graph:
            raise SettingsError("RAGTIME_TEAMS_GRAPH is off: set it to true once your tenant "
                                "has granted Ragtime its Graph permissions (see the README)")
        self.base = settings.teams_graph_url.rstrip("/")
        self.app_id = settings.teams_app_id or ""
        self.tokens = tokens or BotToken(settings, scope=f"{self.base}/.default")
        self._catalog_id: str | None = None

    def install_for(self, email: str) -> str:
        """Add Ragtime in Teams for the user whose email (or UPN) is ``email``:
        ``installed``, ``already installed`` or ``not found in the tenant``; ``SendError``
        when Graph refuses or is unreachable (``everyone``: whoever it is for, as when a
        permission is not granted or Ragtime's token cannot be had)."""
        try:
            return self._install_for(email)
        except SendError as error:
            if error.error.startswith("teams_login"):  # no token: nobody can be added
                error.everyone = True
            raise

    def _install_for(self, email: str) -> str:
        user_id = self.user_id(email)
        if user_id is None:
            return NOT_FOUND
        status, _ = self._call("POST", f"/v1.0/users/{user_id}/teamwork/installedApps", {
            "teamsApp@odata.bind": f"{self.base}/v1.0/appCatalogs/teamsApps/"
                                   f"{self.catalog_id()}"}, accept=(201, 409))
        return ALREADY if status == 409 else INSTALLED

    def user_id(self, email: str) -> str | None:
        """The AAD object id of the user ``email`` names, None when the tenant has none."""
        status, body = self._call(
            "GET", f"/v1.0/users/{urllib.parse.quote(email.strip(), safe='@')}?$select=id",
            accept=(200, 404))
        return str(body.get("id")) if status == 200 and body.get("id") else None

    def catalog_id(self) -> str:
        """Ragtime's id in the organisation's app catalog (not its manifest id)."""
        if self._catalog_id is None:
            query = urllib.parse.quote(f"externalId eq '{self.app_id}'")
            _, body = self._call("GET", f"/v1.0/appCatalogs/teamsApps?$filter={query}")
            found = [app for app in body.get("value") or [] if isinstance(app, dict)]
            if not found or not found[0].get("id"):
                raise PermanentSendError(
                    "Ragtime is not in your organisation's Teams app catalog: upload the "
                    "package (ragtime teams manifest) there first",
                    error="teams_app_not_in_catalog", everyone=True)
            self._catalog_id = str(found[0]["id"])
        return self._catalog_id

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
              accept: tuple[int, ...] = (200,)) -> tuple[int, dict[str, Any]]:
        for attempt in (1, 2):
            request = urllib.request.Request(
                self.base + path, method=method,
                data=json.dumps(body).encode() if body is not None else None,
                headers={"Authorization": f"Bearer {self.tokens.get()}",
                         "Content-Type": "application/json", "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=GRAPH_TIMEOUT) as response:
                    raw = response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status, raw = error.code, error.read()
            except OSError as error:
                raise TransientSendError(f"Microsoft Graph is unreachable: {error}",
                                         error="graph_unreachable", everyone=True) from None
            if status == 401 and attempt == 1:  # a token revoked early: one more try
                self.tokens.forget()
                continue
            if status in accept:
                try:
                    answer = json.loads(raw) if raw else {}
                except ValueError:
                    answer = {}
                return status, answer if isinstance(answer, dict) else {}
            words = _graph_error(raw)
            log.warning("Microsoft Graph %s %s answered %s: %s", method, path.split("?")[0],
                        status, words)
            if status in (401, 403):
                raise PermanentSendError(
                    f"Microsoft Graph refused Ragtime (HTTP {status}: {words}): grant its "
                    "application permissions (see the README)", error="graph_forbidden",
                    everyone=True)
            if status == 429 or status >= 500:
                raise TransientSendError(f"Microsoft Graph answered HTTP {status}: {words}",
                                         error="graph_unavailable", everyone=True)
            raise PermanentSendError(f"Microsoft Graph answered HTTP {status}: {words}",
                                     error="graph_refused")
        raise AssertionError("unreachable")


def _graph_error(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error") or {}
        return str(error.get("message") or error.get("code") or "")[:200]
    except (ValueError, AttributeError):
        return ""
