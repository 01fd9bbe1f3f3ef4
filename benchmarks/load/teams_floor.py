"""The floor for Teams: a Flask app on waitress that only verifies each request's Bot Framework
JWT (``handlers.teams.auth.ActivityVerifier``, the same checks Ragtime makes) and answers 200
(401 when refused), with a ``/healthz`` for the harness. Settings from the environment.
``--durable URL`` makes it the durable floor: each verified activity is also committed as one
row (``benchmarks.load.floor_app.row_store``) before the 200.

    python -m benchmarks.load.teams_floor --host 127.0.0.1 --port 3001 [--durable URL]
"""

from __future__ import annotations

import argparse
import json

from flask import Flask, Response, request
from waitress import serve

from benchmarks.load.floor_app import row_store
from bot.settings import load_settings
from handlers.teams.auth import ActivityVerifier, Unauthorized


def create(durable_url: str | None = None) -> Flask:
    settings = load_settings()
    settings.require_teams()
    assert settings.teams_app_id and settings.teams_tenant_id
    verifier = ActivityVerifier(app_id=settings.teams_app_id, tenant_id=settings.teams_tenant_id,
                                metadata_url=settings.teams_openid_metadata_url)
    app = Flask("teams-floor")
    store = row_store(durable_url) if durable_url else None

    @app.post("/api/messages")
    def messages() -> Response:
        raw = request.get_data() or b"{}"
        activity = json.loads(raw)
        try:
            verifier.verify(request.headers.get("Authorization"), activity)
        except Unauthorized:
            return Response(status=401)
        if store is not None:
            store(raw.decode())
        return Response(status=200)

    @app.get("/healthz")
    def health() -> Response:
        return Response(json.dumps({"ok": True}), mimetype="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--durable", metavar="URL",
                        help="commit each activity as one row in this database first")
    args = parser.parse_args()
    serve(create(args.durable), host=args.host, port=args.port,
          threads=load_settings().listener_threads, _quiet=True)


if __name__ == "__main__":
    main()
