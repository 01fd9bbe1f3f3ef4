"""``bench_ack_latency --socket``: the same load over Socket Mode.

The fake Socket Mode server (``tests.fakeslack.socket_mode``) runs in the load generator's
process; the fake Web API, in its own process, answers ``apps.connections.open`` with URLs to it.
Each simulated request becomes the envelope Slack would send (``tests.support.socket_app``), and
its time is from the envelope written to the socket to its ack read back. Both servers are
subprocesses connected in Socket Mode, answering ``GET /healthz`` on their port:
``ragtime serve --socket`` and the floor (the ack-only Bolt app of ``floor_app``) on the same
Socket Mode client.

    python -m benchmarks.load.socket_mode --host 127.0.0.1 --port 3001   # the floor, alone
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.load.floor_app import build
from benchmarks.load.servers import ServerProcess
from bot.settings import load_settings
from ragtime.http_server import make_server
from ragtime.logs import configure_logging
from ragtime.socket_mode import SocketModeServer
from tests.fakeslack.server import APP_TOKEN
from tests.fakeslack.socket_mode import FakeSocketMode
from tests.support.slack_requests import SlackRequest
from tests.support.socket_app import envelope_of

ACK_TIMEOUT = 30.0


class SocketSide:
    """The fake Socket Mode server for one benchmark, wired to the fake Web API's process."""

    def __init__(self, slack: Any) -> None:
        """``slack``: the ``SlackSide`` proxy (``benchmarks.load.slack_side``)."""
        self.fake = FakeSocketMode(None, check_tickets=False).start()
        slack.use_socket_mode(self.fake.link_url)
        self.connections = 0

    def env(self) -> dict[str, str]:
        return {"SLACK_APP_TOKEN": APP_TOKEN}

    def start_ragtime(self, env: Mapping[str, str], folder: Path, *, scheduler: bool = True
                      ) -> ServerProcess:
        argv = [sys.executable, "-m", "ragtime.cli", "serve", "--socket"]
        if not scheduler:
            argv.append("--no-scheduler")
        return self._started(ServerProcess(argv, env, folder, "ragtime"))

    def start_floor(self, env: Mapping[str, str], folder: Path, *, durable: str | None = None
                    ) -> ServerProcess:
        argv = [sys.executable, "-m", "benchmarks.load.socket_mode"]
        if durable:
            argv += ["--durable", durable]
        return self._started(ServerProcess(argv, env, folder,
                                           "durable-floor" if durable else "floor"))

    def _started(self, server: ServerProcess) -> ServerProcess:
        server.wait_healthy()
        self.connections += 1
        self.fake.wait_connected(self.connections, timeout=60)
        return server

    def transport(self, response_url: Callable[[], str]) -> SocketTransport:
        return SocketTransport(self.fake, response_url)

    def stop(self) -> None:
        self.fake.stop()


class SocketTransport:
    """``SlackTransport``'s interface over the socket: ``post`` sends the envelope and waits for
    its ack; the seconds are envelope written → ack read."""

    def __init__(self, fake: FakeSocketMode, response_url: Callable[[], str],
                 timeout: float = ACK_TIMEOUT) -> None:
        self.fake = fake
        self.response_url = response_url
        self.timeout = timeout

    def post(self, request: SlackRequest) -> tuple[int, str, float]:
        kind, payload = envelope_of(request)
        started = time.monotonic()
        envelope = self.fake.send(kind, payload)
        try:
            ack = self.fake.wait_ack(envelope, timeout=self.timeout)
        except AssertionError:
            return 0, "no ack", time.monotonic() - started
        sent = self.fake.sent_at.get(envelope.envelope_id, started)
        return 200, json.dumps(ack.payload) if ack.payload else "", ack.at - sent


def serve_floor(argv: list[str] | None = None) -> None:
    """The floor app in Socket Mode, with ``/healthz`` on ``--port`` as Ragtime has."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.socket_mode")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--durable", metavar="URL")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level)
    app, ctx = build(settings, durable_url=args.durable)
    make_server(app, ctx, args.host, args.port, threads=2, slack_events=False
                ).start_health_only()
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    SocketModeServer(app, token, concurrency=settings.listener_threads).serve_forever()


if __name__ == "__main__":
    serve_floor()
