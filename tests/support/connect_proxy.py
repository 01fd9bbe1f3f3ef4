"""A tiny HTTP proxy on loopback, as a trust's outbound proxy: ``CONNECT host:port`` tunnels
(HTTPS, WebSockets) and absolute-URI requests (``GET http://host/…``, plain HTTP), each
forwarded to its target and recorded in ``seen`` as ``(method, "host:port")``.

    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from urllib.parse import urlsplit


class ConnectProxy:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ConnectProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def targets(self) -> set[str]:
        return {target for _method, target in self.seen}

    def _handle(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        header, _, rest = head.partition(b"\r\n\r\n")
        request_line, _, fields = header.decode("latin-1").partition("\r\n")
        method, target, version = request_line.split(" ", 2)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            self.seen.append((method, f"{host}:{port}"))
            upstream = socket.create_connection((host, int(port)), timeout=30)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            url = urlsplit(target)
            port = url.port or (443 if url.scheme == "https" else 80)
            self.seen.append((method, f"{url.hostname}:{port}"))
            upstream = socket.create_connection((url.hostname or "", port), timeout=30)
            path = url.path + (f"?{url.query}" if url.query else "") or "/"
            kept = [line for line in fields.split("\r\n")
                    if line and not line.lower().startswith(("proxy-", "connection:"))]
            upstream.sendall(f"{method} {path} {version}\r\n".encode("latin-1")
                             + "\r\n".join([*kept, "Connection: close"]).encode("latin-1")
                             + b"\r\n\r\n" + rest)
        _pipe(client, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        while True:
            ready, _, _ = select.select([one, other], [], [], 60)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (other if sock is one else one).sendall(data)
    except OSError:
        return
    finally:
        other.close()
