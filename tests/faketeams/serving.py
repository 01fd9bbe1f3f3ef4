"""The one way the Microsoft fakes are served: a threaded HTTP server on a free local port whose
address the fake learns (``fake.url``), started on entering and stopped on leaving."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

Fake = TypeVar("Fake")


class FakeServer(Generic[Fake]):
    def __init__(self, fake: Fake, handler: type[BaseHTTPRequestHandler]) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        fake_any: Any = fake
        fake_any.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # Polling for shutdown every 50 ms: a test's teardown waits for it.
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})

    def __enter__(self) -> Fake:
        self.thread.start()
        return self.fake

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
