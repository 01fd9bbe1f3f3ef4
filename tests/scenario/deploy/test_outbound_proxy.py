"""Behind the trust's outbound proxy (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``, the usual
variables): the Slack Web API client, Socket Mode's WebSocket and GOV.UK Notify all go through
it, and SMTP through the proxy given for it (``RAGTIME_SMTP_PROXY``) only, each tested against
a small proxy of our own on loopback (``tests.support.connect_proxy``). Every fake service here
speaks plain HTTP on loopback, so the clients reach the proxy with absolute-URI requests (the
Web API, Notify) or ``CONNECT`` (the WebSocket and SMTP, as for ``https://``/``wss://``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.ports.messages import TransientSendError
from bot.settings import load_settings
from handlers.email.notify import NotifyTransport
from handlers.email.transports import SmtpTransport, make_transport
from handlers.slack.gateway import make_web_client
from ragtime.app import create_app
from ragtime.socket_mode import SocketModeServer
from tests.fakenotify import FakeNotify
from tests.fakenotify.server import API_KEY, TEMPLATE_ID
from tests.fakeslack import FakeSlack
from tests.fakeslack.socket_mode import FakeSocketMode
from tests.support.connect_proxy import ConnectProxy
from tests.support.mail import PASSWORD, USERNAME, smtp_server
from tests.support.served_app import settings_for
from tests.support.socket_app import TEST_BACKOFF, socket_settings
from tests.unit.handlers.email.test_transports import SENDER, email


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectProxy]:
    with ConnectProxy() as running:
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            monkeypatch.setenv(name, running.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield running


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def test_the_slack_web_api_goes_through_the_proxy(proxy: ConnectProxy, fake_slack: FakeSlack,
                                                  sqlite_url: str):
    client = make_web_client(settings_for(fake_slack, sqlite_url))

    assert client.auth_test()["ok"]
    client.chat_postMessage(channel="C0GOVERN", text="through the proxy")
    assert _host(fake_slack.api_url) in proxy.targets()
    assert [c.params["text"] for c in fake_slack.calls("chat.postMessage")] == [
        "through the proxy"]


def test_socket_mode_opens_its_websocket_through_the_proxy(proxy: ConnectProxy,
                                                           fake_slack: FakeSlack,
                                                           sqlite_url: str):
    settings = socket_settings(fake_slack, sqlite_url)
    with FakeSocketMode(fake_slack) as socket_mode:
        app, ctx = create_app(settings, socket=True)
        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        server = SocketModeServer(app, token, backoff=TEST_BACKOFF).start()
        try:
            socket_mode.wait_connected()
            websocket = ("CONNECT", _host(socket_mode.link_url))
        finally:
            server.stop()
            ctx.engine.dispose()

    assert websocket in proxy.seen
    assert _host(fake_slack.api_url) in proxy.targets()  # apps.connections.open too


def test_gov_uk_notify_goes_through_the_proxy(proxy: ConnectProxy, fake_notify: FakeNotify):
    transport = NotifyTransport(api_key=API_KEY, template_id=TEMPLATE_ID, base_url=fake_notify.url)

    transport.send(email())

    assert _host(fake_notify.url) in proxy.targets()
    assert len(fake_notify.sent) == 1


def test_no_proxy_is_honoured(proxy: ConnectProxy, fake_notify: FakeNotify,
                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    transport = NotifyTransport(api_key=API_KEY, template_id=TEMPLATE_ID, base_url=fake_notify.url)

    transport.send(email())

    assert proxy.seen == [] and len(fake_notify.sent) == 1


def test_smtp_goes_through_the_proxy_given_for_it(proxy: ConnectProxy, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    """RAGTIME_SMTP_PROXY: a CONNECT tunnel, then STARTTLS (the relay's certificate checked
    end to end) and the login, as without a proxy."""
    with smtp_server(tmp_path, tls=True) as mailbox:
        monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.cert))
        settings = load_settings(
            email_transport="smtp", smtp_host=mailbox.host, smtp_port=mailbox.port,
            smtp_username=USERNAME, smtp_password=PASSWORD, email_from=SENDER,
            smtp_proxy=proxy.url, public_url="https://ragtime.example.nhs.uk",
            secret_key="Gk2Vn7Qr4Wz9Tb1Lm6Hc3Xp8Sd5Jf0Ya")
        make_transport(settings).send(email())

    assert proxy.seen == [("CONNECT", f"{mailbox.host}:{mailbox.port}")]
    assert mailbox.logins == [USERNAME] and len(mailbox.messages) == 1


def test_a_proxy_refusing_the_tunnel_is_a_transient_failure(tmp_path: Path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    transport = SmtpTransport(host="127.0.0.1", port=port, sender=SENDER, starttls=False,
                              proxy=f"http://127.0.0.1:{port}", timeout=5)

    with pytest.raises(TransientSendError, match="cannot reach the mail server"):
        transport.send(email())


def test_https_proxy_alone_leaves_smtp_direct(proxy: ConnectProxy, tmp_path: Path):
    with smtp_server(tmp_path) as mailbox:
        SmtpTransport(host=mailbox.host, port=mailbox.port, sender=SENDER,
                      starttls=False).send(email())

    assert proxy.seen == [] and len(mailbox.messages) == 1
