"""The floor: a bare Bolt app that only acknowledges, served exactly as ``ragtime serve`` is.

    python -m benchmarks.load.floor_app --host 127.0.0.1 --port 3001 [--durable URL]

``--durable URL`` makes it the durable floor: before answering, every request is committed as
one row in the database at URL (``storage.db.make_engine``: the same engine settings Ragtime
uses, so on SQLite WAL with each commit fsynced), in a table of its own. That is the least any
design that stores before it acknowledges can do.

Same settings (from the environment), same Bolt options (``process_before_response=True``: answered
when the listener returns, as ``ragtime.app`` does; a listener pool of
``RAGTIME_LISTENER_THREADS``), same signature checks, same waitress server with
the same number of threads, same logging; every listener calls ``ack()`` and nothing else. What
Ragtime adds on top of this is its own cost.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest
from sqlalchemy import text

from bot.context import AppContext
from bot.settings import load_settings
from handlers.slack.gateway import make_web_client
from ragtime.http_server import serve_http
from ragtime.logs import configure_logging
from ragtime.wiring import slack_context
from storage.db import is_sqlite, make_engine, session_scope

ANYTHING = re.compile(".*")


def acknowledge(ack: Any) -> None:
    ack()


def ignore() -> None:
    """Events are acknowledged by Bolt before the listener runs."""


def row_store(url: str) -> Callable[[str], None]:
    """A function committing a request's body as one row (the least any store-before-ack
    design does), in a table of its own in the database at ``url``."""
    engine = make_engine(url)
    key = "INTEGER PRIMARY KEY" if is_sqlite(engine) else "BIGSERIAL PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS floor_request "
                                f"(id {key}, body TEXT NOT NULL)"))

    def store(body: str) -> None:
        with session_scope(engine, write=True) as session:
            session.execute(text("INSERT INTO floor_request (body) VALUES (:body)"),
                            {"body": body})

    return store


def durable(url: str) -> Callable[..., Any]:
    """A global middleware committing each request's body as one row before anything else."""
    store_row = row_store(url)

    def store(req: BoltRequest, next: Callable[[], Any]) -> Any:
        store_row(req.raw_body)
        return next()

    return store


def build(settings: Any, *, durable_url: str | None = None) -> tuple[App, AppContext]:
    client = make_web_client(settings)
    secret = settings.slack_signing_secret.get_secret_value()
    app = App(
        logger=logging.getLogger("slack_bolt.App"), client=client, signing_secret=secret,
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=settings.listener_threads,
                                             thread_name_prefix="floor-listener"),
    )
    if durable_url:
        app.use(durable(durable_url))
    app.action(ANYTHING)(acknowledge)
    app.view(ANYTHING)(acknowledge)
    app.command(ANYTHING)(acknowledge)
    app.event("message")(ignore)
    app.event("app_home_opened")(ignore)
    ctx = slack_context(settings, client=client)
    return app, ctx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.floor_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--durable", metavar="URL",
                        help="commit each request as one row in this database first")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level)
    app, ctx = build(settings, durable_url=args.durable)
    serve_http(app, ctx, host=args.host, port=args.port, threads=settings.listener_threads)


if __name__ == "__main__":
    main()
