"""The SMTP transport against a real SMTP server (aiosmtpd on loopback, STARTTLS and a login
with a certificate made for the test) and the Notify transport against the local fake Notify
API, which checks the JWT the client signs."""

from __future__ import annotations

import logging
import ssl

import pytest

from bot.ports.messages import PermanentSendError, TransientSendError
from bot.settings import load_settings
from handlers.email.notify import NotifyTransport
from handlers.email.outgoing import Email
from handlers.email.transports import SmtpTransport, make_transport, message_id
from tests.fakenotify import FakeNotify, fake_notify  # noqa: F401
from tests.fakenotify.server import API_KEY, SERVICE_ID, TEMPLATE_ID
from tests.support.fresh_imports import SERVING, loaded_after
from tests.support.mail import PASSWORD, USERNAME, part, smtp_server

SENDER = "Ragtime <ragtime@example.nhs.uk>"


def email(to: str = "paul.sheldon@example.nhs.uk", key: str = "prompt:2024-25-Q3:email:4"
          ) -> Email:
    return Email(key=key, to=to, subject="Your 2024/25 Q3 updates\nBcc: evil@example.com",
                 text="Dear Paul,\n<b>not bold</b>\n", html="<p>Dear Paul,</p>",
                 fields={"subject": "Your updates", "body": "Dear Paul,", "link": "x"})


def trusting(cert) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(cert))
    return context


def test_smtp_with_starttls_and_login_delivers_text_and_html_parts(tmp_path):
    with smtp_server(tmp_path, tls=True) as mailbox:
        transport = SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                                  username=USERNAME, password=PASSWORD,
                                  tls_context=trusting(mailbox.cert))
        first = transport.send(email())
        second = transport.send(email(to="david.williams@example.nhs.uk", key="other"))
        transport.close()

    assert mailbox.logins == [USERNAME]  # one connection, logged in once, reused
    paul, = mailbox.to("paul.sheldon@example.nhs.uk")
    assert paul["Message-ID"] == first == message_id("prompt:2024-25-Q3:email:4", SENDER)
    assert first.endswith("@example.nhs.uk>") and second != first
    assert paul["Subject"] == "Your 2024/25 Q3 updates Bcc: evil@example.com"  # one line
    assert paul["Bcc"] is None
    assert part(paul, "plain") == "Dear Paul,\n<b>not bold</b>\n"
    assert part(paul, "html").strip() == "<p>Dear Paul,</p>"


def test_smtp_refuses_to_log_in_without_tls_and_a_wrong_password_is_permanent(tmp_path):
    with smtp_server(tmp_path, tls=True) as mailbox:
        wrong = SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                              username=USERNAME, password="wrong password",
                              tls_context=trusting(mailbox.cert))
        with pytest.raises(PermanentSendError) as refused:
            wrong.send(email())
        untrusted = SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                                  username=USERNAME, password=PASSWORD)
        with pytest.raises(PermanentSendError) as unverified:
            untrusted.send(email())  # the self-signed certificate is not trusted by default
    assert "login refused: 535" in str(refused.value)
    assert "wrong password" not in str(refused.value)
    assert "certificate" in str(unverified.value).lower()
    assert mailbox.messages == []


def test_smtp_rejected_recipient_is_permanent_a_deferred_one_transient(tmp_path):
    with smtp_server() as mailbox:
        mailbox.refuse = {"gone@example.nhs.uk": "550 5.1.1 no such user",
                          "busy@example.nhs.uk": "451 4.3.0 try again later"}
        transport = SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                                  starttls=False)
        with pytest.raises(PermanentSendError, match=r"550 5\.1\.1 no such user"):
            transport.send(email(to="gone@example.nhs.uk"))
        with pytest.raises(TransientSendError, match="451"):
            transport.send(email(to="busy@example.nhs.uk"))
        transport.send(email())  # and the transport still works after both
    assert [str(m["To"]) for m in mailbox.messages] == ["paul.sheldon@example.nhs.uk"]


def test_smtp_reconnects_when_the_server_dropped_the_kept_connection():
    with smtp_server() as before:
        transport = SmtpTransport(host=before.host, port=before.port, sender=SENDER,
                                  starttls=False)
        transport.send(email(key="first"))
    with smtp_server(port=before.port) as after:  # restarted: the kept connection is dead
        transport.send(email(key="second"))
    assert len(before.messages) == 1 and len(after.messages) == 1


def test_smtp_server_gone_is_transient():
    transport = SmtpTransport(host="127.0.0.1", port=1, sender=SENDER, starttls=False,
                              timeout=2)
    with pytest.raises(TransientSendError, match="cannot reach the mail server"):
        transport.send(email())


def notify(fake: FakeNotify, api_key: str = API_KEY) -> NotifyTransport:
    return NotifyTransport(api_key=api_key, template_id=TEMPLATE_ID, base_url=fake.url)


def test_notify_sends_with_a_signed_token_and_the_outbox_key_as_reference(
        fake_notify: FakeNotify):  # noqa: F811
    notification_id = notify(fake_notify).send(email())

    sent, = fake_notify.sent
    assert sent["id"] == notification_id
    assert sent["reference"] == "prompt:2024-25-Q3:email:4"
    assert sent["template_id"] == TEMPLATE_ID
    assert sent["email_address"] == "paul.sheldon@example.nhs.uk"
    assert sent["personalisation"] == {"subject": "Your updates", "body": "Dear Paul,",
                                       "link": "x"}
    assert notify(fake_notify).already_sent(email()) == notification_id
    assert notify(fake_notify).already_sent(email(key="never sent")) is None


def test_notify_refuses_a_token_signed_with_another_key(fake_notify: FakeNotify):  # noqa: F811
    other = f"ragtime_test-{SERVICE_ID}-{'1' * 8}-{'2' * 4}-{'3' * 4}-{'4' * 4}-{'5' * 12}"
    with pytest.raises(PermanentSendError, match="403"):
        notify(fake_notify, other).send(email())
    assert fake_notify.sent == [] and "Invalid token" in fake_notify.refused[0][1]


def test_notify_errors_bad_request_is_permanent_server_errors_transient(
        fake_notify: FakeNotify):  # noqa: F811
    fake_notify.fail_next(400)
    with pytest.raises(PermanentSendError, match="400"):
        notify(fake_notify).send(email())
    for status in (429, 500, 503):
        fake_notify.fail_next(status)
        with pytest.raises(TransientSendError, match=str(status)):
            notify(fake_notify).send(email())
    assert fake_notify.sent == []


def test_notify_unreachable_is_transient():
    transport = NotifyTransport(api_key=API_KEY, template_id=TEMPLATE_ID,
                                base_url="http://127.0.0.1:1", timeout=2)
    with pytest.raises(TransientSendError, match="503"):  # the client's word for no answer
        transport.send(email())


def test_the_settings_choose_smtp_with_starttls_login_and_a_ca_from_ssl_cert_file(
        tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(tmp_path, tls=True) as mailbox:
        monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.cert))  # the trust's own CA, say
        settings = load_settings(
            email_transport="smtp", smtp_host=mailbox.host, smtp_port=mailbox.port,
            smtp_username=USERNAME, smtp_password=PASSWORD, email_from=SENDER,
            public_url="https://ragtime.example.nhs.uk",
            secret_key="Gk2Vn7Qr4Wz9Tb1Lm6Hc3Xp8Sd5Jf0Ya")
        transport = make_transport(settings)
        transport.send(email())
    assert mailbox.logins == [USERNAME] and len(mailbox.messages) == 1
    assert PASSWORD not in caplog.text and PASSWORD not in repr(settings)


def test_the_settings_choose_notify(fake_notify: FakeNotify):  # noqa: F811
    settings = load_settings(
        email_transport="notify", notify_api_key=API_KEY, notify_template_id=TEMPLATE_ID,
        notify_base_url=fake_notify.url + "/", email_from=SENDER,
        public_url="https://ragtime.example.nhs.uk", secret_key="Gk2Vn7Qr4Wz9Tb1Lm6Hc3Xp8Sd5Jf0Ya")
    make_transport(settings).send(email())
    assert len(fake_notify.sent) == 1 and API_KEY not in repr(settings)


def test_only_a_deployment_sending_through_notify_loads_its_client():
    """GOV.UK Notify's client brings requests, PyJWT and cryptography (15 MB in the server and
    its worker): the processes, and an SMTP transport, load none of it."""
    smtp = ("from bot.settings import load_settings\n"
            "from handlers.email.transports import make_transport\n"
            "make_transport(load_settings(email_transport='smtp', smtp_host='mail.invalid', "
            "email_from='r@example.nhs.uk', public_url='https://r.example.nhs.uk', "
            "secret_key='Gk2Vn7Qr4Wz9Tb1Lm6Hc3Xp8Sd5Jf0Ya'))")
    assert loaded_after(SERVING + "\n" + smtp,
                        ("notifications_python_client", "requests", "jwt")) == []
