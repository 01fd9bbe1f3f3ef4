"""The two ways an email leaves Ragtime, chosen by ``RAGTIME_EMAIL_TRANSPORT``.

- ``SmtpTransport`` (``smtp``): stdlib ``smtplib`` to any mail server or relay (NHSmail's
  ``send.nhs.net`` on 587 with STARTTLS and the account's username and password). One
  connection is kept and reused (reopened when the server drops it). Each message's
  ``Message-ID`` is derived from its outbox key, so a message sent twice (a kill after the
  server accepted it and before the outbox marked it) carries the same id: at-least-once, and
  mail clients that thread or de-duplicate by Message-ID show one message.
- ``NotifyTransport`` (``notify``, in ``handlers.email.notify``): GOV.UK Notify through
  ``notifications-python-client`` with one template (``RAGTIME_NOTIFY_TEMPLATE_ID``) whose
  subject is ``((subject))`` and body ``((body))``; ``reference`` is the outbox key, and a
  second attempt first asks Notify for a notification with that reference, so a kill between
  send and mark sends nothing twice.

Errors become ``bot.ports.messages`` errors: what retrying cannot fix (an address or a login
refused: SMTP 5xx, Notify 400/403) is ``PermanentSendError``; the rest (a dropped connection,
SMTP 4xx, Notify 429/5xx) ``TransientSendError``, left pending for the next run.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from bot.ports.messages import PermanentSendError, TransientSendError
from bot.settings import Settings, SettingsError
from handlers.email.outgoing import Email, Transport
from handlers.email.tunnel import TunnelledSMTP


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the email recorded under ``key``: the same on every attempt."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ragtime.invalid"
    return f"<ragtime-{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


# ------------------------------------------------------------------------------ SMTP

class SmtpTransport:
    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = True, timeout: float = 30.0,
                 tls_context: ssl.SSLContext | None = None, proxy: str | None = None) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.proxy = proxy  # RAGTIME_SMTP_PROXY: an http:// proxy to tunnel through
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout
        self.tls_context = tls_context
        self._connection: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def message(self, email: Email) -> EmailMessage:
        """The MIME message: plain text, and HTML as its alternative."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = " ".join(email.subject.split())  # one line: no header injection
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(email.key, self.sender)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        return message

    def send(self, email: Email) -> str:
        message = self.message(email)
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._connected().send_message(message)
                    return str(message["Message-ID"])
                except (smtplib.SMTPServerDisconnected, ConnectionResetError,
                        BrokenPipeError) as error:  # a kept connection the server dropped
                    self._drop()
                    if attempt == 2:
                        raise TransientSendError(f"the mail server closed the connection: "
                                                 f"{error}", error="smtp_disconnected") from error
                except (smtplib.SMTPException, OSError) as error:
                    self._drop()
                    raise _smtp_error(error, email.to) from error
        raise AssertionError("unreachable")

    def already_sent(self, email: Email) -> str | None:
        return None  # SMTP cannot be asked: at-least-once (the same Message-ID; see above)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connected(self) -> smtplib.SMTP:
        if self._connection is None:
            connection = (TunnelledSMTP(self.host, self.port, proxy_url=self.proxy,
                                        timeout=self.timeout) if self.proxy
                          else smtplib.SMTP(self.host, self.port, timeout=self.timeout))
            try:
                connection.ehlo()
                if self.starttls:
                    connection.starttls(context=self.tls_context or ssl.create_default_context())
                    connection.ehlo()
                if self.username:
                    connection.login(self.username, self.password or "")
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


def _smtp_error(error: BaseException, to: str) -> Exception:
    """A mail server's answer as a permanent (5xx, refused login or recipient) or transient
    (4xx, network) send error. Never includes the password."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = f"the mail server refused {to}: " + "; ".join(
            f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values())
        if codes and all(code >= 500 for code in codes):
            return PermanentSendError(text, error="recipient_refused")
        return TransientSendError(text, error="recipient_deferred")
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        what = ("login refused" if isinstance(error, smtplib.SMTPAuthenticationError)
                else "the mail server said")
        message = f"{what}: {error.smtp_code} {text}"
        if error.smtp_code >= 500:
            return PermanentSendError(message, error=f"smtp_{error.smtp_code}")
        return TransientSendError(message, error=f"smtp_{error.smtp_code}")
    if isinstance(error, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return PermanentSendError(f"the mail server: {error}", error="smtp_tls")
    return TransientSendError(f"cannot reach the mail server: {error}", error="smtp_network")


# ------------------------------------------------------------------------------ choice

def make_transport(settings: Settings) -> Transport:
    """The transport ``RAGTIME_EMAIL_TRANSPORT`` names, or ``SettingsError`` naming what is
    missing."""
    settings.require_email()
    sender = settings.email_from or ""
    if settings.email_transport == "smtp":
        return SmtpTransport(
            host=settings.smtp_host or "", port=settings.smtp_port, sender=sender,
            username=settings.smtp_username,
            password=(settings.smtp_password.get_secret_value()
                      if settings.smtp_password else None),
            starttls=settings.smtp_starttls, timeout=settings.smtp_timeout,
            proxy=settings.smtp_proxy)
    if settings.email_transport == "notify":
        # GOV.UK Notify's client brings requests, urllib3, PyJWT and cryptography with it
        # (15 MB in every process): loaded only where email goes through Notify.
        from handlers.email.notify import NotifyTransport

        assert settings.notify_api_key is not None
        return NotifyTransport(api_key=settings.notify_api_key.get_secret_value(),
                               template_id=settings.notify_template_id or "",
                               base_url=settings.notify_base_url)
    raise SettingsError(f"RAGTIME_EMAIL_TRANSPORT must be smtp or notify, not "
                        f"{settings.email_transport!r}")
