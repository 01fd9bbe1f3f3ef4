"""Who may post to ``/api/messages``: the Bot Framework, for our app, in our tenant.

Every inbound request carries a JWT the Bot Framework signed. ``ActivityVerifier`` checks it
with the SDK's ``TokenValidator`` (PyJWT underneath): the signature against the keys published
at the ``jwks_uri`` of ``RAGTIME_TEAMS_OPENID_METADATA_URL``, the issuer that metadata names,
expiry, the audience (our app id, and nothing else), and the ``serviceurl`` claim equal to the
activity's ``serviceUrl`` (so a token cannot carry an activity that would send our replies, and
our token, elsewhere). The activity's tenant must then be ours. Anything else is
``Unauthorized``; nothing is stored.

Why the validator and not the SDK's ``HttpServerAdapter``: the adapter brings its own server
(FastAPI on uvicorn) and routes activities to handlers that answer inside the request, whereas
Ragtime serves Slack, the web form and ``/healthz`` from one waitress + Flask app and only
acknowledges on the request path; the validator is the part of the adapter we need.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from handlers.teams.activities import tenant_of
from handlers.teams.sdk import JwtValidationOptions, TokenValidator, sdk_loop

log = logging.getLogger(__name__)

METADATA_TTL = 24 * 3600.0  # the metadata (issuer, keys' address) is read again once a day
VERIFY_TIMEOUT = 10.0


class Unauthorized(Exception):
    """The request is not from the Bot Framework for our app and tenant (answered 401)."""


@dataclass(frozen=True)
class Verified:
    """What the token said, once verified."""

    claims: dict[str, Any]


class ActivityVerifier:
    def __init__(self, *, app_id: str, tenant_id: str, metadata_url: str) -> None:
        self.app_id = app_id
        self.tenant_id = tenant_id.lower()
        self.metadata_url = metadata_url
        self._validator: TokenValidator | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, activity: dict[str, Any]) -> Verified:
        """The verified claims of ``authorization`` (``Bearer …``) for ``activity``, or
        ``Unauthorized`` saying why (logged, never the token)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or not service_url.startswith(("https://",
                                                                           "http://")):
            raise Unauthorized("the activity has no serviceUrl")
        try:
            claims = sdk_loop().run(
                self.validator().validate_token(token.strip(), service_url=service_url),
                timeout=VERIFY_TIMEOUT)
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise Unauthorized(f"token refused: {type(error).__name__}") from None
        tenant = tenant_of(activity)
        if not tenant or tenant.lower() != self.tenant_id:
            raise Unauthorized("the activity is not from our tenant")
        return Verified(claims=claims)

    def validator(self) -> TokenValidator:
        """The SDK's validator on the issuer and keys the OpenID metadata names (read once a
        day; a failure to read it is ``Unauthorized``, tried again on the next request)."""
        with self._lock:
            if self._validator is None or time.monotonic() - self._read_at > METADATA_TTL:
                metadata = self._metadata()
                self._validator = TokenValidator(JwtValidationOptions(
                    valid_issuers=[str(metadata["issuer"])],
                    valid_audiences=[self.app_id],
                    jwks_uri=str(metadata["jwks_uri"]),
                ))
                self._read_at = time.monotonic()
            return self._validator

    def _metadata(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.metadata_url, timeout=VERIFY_TIMEOUT) as response:
                metadata = json.loads(response.read())
        except (OSError, ValueError) as error:
            log.warning("Teams OpenID metadata unreadable at %s: %s", self.metadata_url, error)
            raise Unauthorized("the OpenID metadata could not be read") from None
        if not (isinstance(metadata, dict) and metadata.get("issuer")
                and metadata.get("jwks_uri")):
            raise Unauthorized("the OpenID metadata names no issuer or jwks_uri")
        return metadata
