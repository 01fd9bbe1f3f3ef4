"""SMTP through an HTTP proxy (``RAGTIME_SMTP_PROXY``), for a trust whose only way out is its
web proxy and whose proxy allows ``CONNECT`` to the mail relay's port (587 is often refused:
ask). ``smtplib`` has no proxy support; ``TunnelledSMTP`` opens its socket with a ``CONNECT``
through the proxy instead of connecting itself, and everything after — STARTTLS with the
relay's certificate checked against its own name, the login — is ``smtplib``'s as before.
"""

from __future__ import annotations

import base64
import smtplib
import socket
from urllib.parse import unquote, urlsplit

MAX_HEAD = 16_384


class ProxyError(OSError):
    """The proxy refused or dropped the tunnel (a network error: the send is retried)."""


def open_tunnel(proxy_url: str, host: str, port: int, timeout: float) -> socket.socket:
    """A socket to ``host:port`` through the HTTP proxy at ``proxy_url``."""
    proxy = urlsplit(proxy_url)
    if proxy.scheme != "http" or not proxy.hostname:
        raise ProxyError(f"RAGTIME_SMTP_PROXY must be an http:// proxy URL, not {proxy.scheme!r}")
    sock = socket.create_connection((proxy.hostname, proxy.port or 8080), timeout=timeout)
    try:
        head = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
        if proxy.username:
            login = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
            head.append("Proxy-Authorization: Basic "
                        + base64.b64encode(login.encode()).decode("ascii"))
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(1)  # byte by byte: nothing of the relay's greeting is read here
            if not chunk or len(answer) > MAX_HEAD:
                raise ProxyError(f"the proxy closed the tunnel to {host}:{port}")
            answer += chunk
        status = answer.split(b"\r\n", 1)[0].decode("latin-1")
        if status.split(" ")[1:2] != ["200"]:
            raise ProxyError(f"the proxy refused a tunnel to {host}:{port}: {status}")
    except BaseException:
        sock.close()
        raise
    return sock


class TunnelledSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose connection goes through ``proxy_url``."""

    def __init__(self, host: str, port: int, *, proxy_url: str, timeout: float) -> None:
        self.proxy_url = proxy_url
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return open_tunnel(self.proxy_url, host, port, timeout)
