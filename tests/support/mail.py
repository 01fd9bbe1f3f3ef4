"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts.

``smtp_server()`` is a plain server; ``smtp_server(tls=True)`` offers STARTTLS with a self-signed
certificate made for the test (``openssl``) and requires TLS and a login before mail (as
NHSmail's relay does). ``refuse`` maps an address to the SMTP reply its RCPT gets.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from ssl import PROTOCOL_TLS_SERVER, SSLContext

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from benchmarks.load.servers import free_port

USERNAME = "ragtime@example.nhs.uk"
PASSWORD = "correct horse battery staple"


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    cert: Path | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 no such user"
    hold_seconds: float = 0.0  # keep a message, then answer its DATA this late
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    # -- aiosmtpd's handler hooks ---------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        if self.hold_seconds:
            await asyncio.sleep(self.hold_seconds)
        return "250 Message accepted for delivery"


def part(message: EmailMessage, subtype: str) -> str:
    """The ``plain`` or ``html`` part of a received message, with the wire's CRLFs as \\n."""
    body = message.get_body((subtype,))
    assert body is not None, f"no {subtype} part"
    return str(body.get_content()).replace("\r\n", "\n")


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl for this test."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


@contextmanager
def smtp_server(folder: Path | None = None, *, tls: bool = False, port: int | None = None
                ) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    options: dict[str, object] = {}
    if tls:
        assert folder is not None
        cert, key = self_signed_cert(folder)
        context = SSLContext(PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        mailbox.cert = cert

        def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == USERNAME
                  and auth_data.password.decode() == PASSWORD)
            if ok:
                mailbox.logins.append(USERNAME)
            return AuthResult(success=ok, handled=False)

        options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True,
                   "authenticator": authenticate, "auth_required": True}
    mailbox.port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
