"""A fake of Microsoft's identity side of the Bot Framework, on loopback, with an RSA key of the
test's own:

- ``GET /v1/.well-known/openidconfiguration`` (the OpenID metadata: issuer, ``jwks_uri``) and
  ``GET /v1/.well-known/keys`` (the JWKS), which Ragtime verifies inbound tokens against;
- ``POST /{tenant}/oauth2/v2.0/token`` (client credentials), where the worker gets the token it
  sends with; the fake checks the client id and secret, and records each grant.

``sign(claims)`` mints a token as the Bot Framework would for an activity (``activity_token``);
``forge`` signs with another key of the same ``kid``, as an attacker would.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.faketeams.serving import FakeServer

APP_ID = "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
APP_PASSWORD = "fake-client-secret-for-tests"
TENANT_ID = "0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f"
ISSUER = "https://api.botframework.com"
KID = "ragtime-test-key"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeIdentity:
    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    grants: list[dict[str, str]] = field(default_factory=list)  # token requests accepted
    tokens: set[str] = field(default_factory=set)  # access tokens issued
    refused_grants: int = 0
    key_fetches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    @property
    def login_url(self) -> str:
        return self.url

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256",
                          "endorsements": ["msteams"]}]}

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KID})

    def activity_token(self, service_url: str, **changes: Any) -> str:
        """A token as the Bot Framework sends with an activity; ``changes`` alter its claims
        (a value of None removes the claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url,
                                  "iat": now - 5, "nbf": now - 5, "exp": now + 3600}
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)

    def forge(self, service_url: str) -> str:
        """Claims that would pass, signed by a key that is not the published one."""
        now = int(time.time())
        return self.sign({"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url,
                          "iat": now, "nbf": now, "exp": now + 3600}, key=_new_key())

    def issued(self, token: str) -> bool:
        """Whether ``token`` is an access token this service issued (the connector asks)."""
        with self._lock:
            return token in self.tokens

    # -- the server side ------------------------------------------------------------------
    def grant(self, form: dict[str, str], tenant: str) -> tuple[int, dict[str, Any]]:
        if (form.get("grant_type") != "client_credentials" or form.get("client_id") != APP_ID
                or form.get("client_secret") != APP_PASSWORD or tenant != TENANT_ID):
            with self._lock:
                self.refused_grants += 1
            return 401, {"error": "invalid_client"}
        with self._lock:
            self.grants.append(form)
        token = jwt.encode({"aud": "https://api.botframework.com", "appid": APP_ID,
                            "jti": uuid.uuid4().hex, "exp": int(time.time()) + 3600},
                           "the fake connector checks the token, not this key",
                           algorithm="HS256")
        with self._lock:
            self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                     "access_token": token}


def _handler(fake: FakeIdentity) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == "/v1/.well-known/openidconfiguration":
                self._answer(200, {"issuer": ISSUER,
                                   "authorization_endpoint": "https://invalid.example",
                                   "jwks_uri": f"{fake.url}/v1/.well-known/keys",
                                   "id_token_signing_alg_values_supported": ["RS256"],
                                   "token_endpoint_auth_methods_supported": ["private_key_jwt"]})
            elif path == "/v1/.well-known/keys":
                with fake._lock:
                    fake.key_fetches += 1
                self._answer(200, fake.jwks())
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            parts = urlparse(self.path).path.strip("/").split("/")
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                self._answer(*fake.grant(form, parts[0]))
            else:
                self._answer(404, {"error": "not found"})

    return Handler


class IdentityServer(FakeServer[FakeIdentity]):
    def __init__(self, fake: FakeIdentity) -> None:
        super().__init__(fake, _handler(fake))


@pytest.fixture
def fake_identity() -> Iterator[FakeIdentity]:
    with IdentityServer(FakeIdentity()) as fake:
        yield fake
