"""The one door to the Teams SDK (``microsoft-teams-apps`` / ``-api``), and the one event loop
all its coroutines run on.

Only processes that serve or send Teams import this module (``ragtime.wiring`` when a
``RAGTIME_TEAMS_*`` id is set): the SDK takes about two seconds to import and pulls in FastAPI,
MSAL and httpx, which a CLI command or a Slack-only deployment never needs.

Two of the SDK's habits are tamed here:

- importing ``microsoft_teams.apps`` loads the nearest ``.env`` into the environment. Ragtime's
  settings are read once by ``bot.settings`` and stay in charge: whatever that import adds to
  or changes in ``os.environ`` is undone at once, so a ``RAGTIME_TEAMS_*`` (or any other) value
  in an unrelated ``.env`` never leaks in;
- it is async only, and its HTTP client binds to the loop that first used it. ``SdkLoop`` is
  one long-lived loop on a daemon thread; threads (waitress's, the worker's) ``run`` their
  coroutines on it and wait for the result.
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _import_quietly() -> None:
    before = dict(os.environ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its preview features warn at import
        import microsoft_teams.apps  # noqa: F401  (the import that loads .env)
    for name in set(os.environ) - set(before):
        del os.environ[name]
    for name, value in before.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


_import_quietly()

# After the guarded import above (E402: these names come from the module it loaded).
from microsoft_teams.api import ApiClient  # noqa: E402
from microsoft_teams.apps.auth.token_validator import (  # noqa: E402
    JwtValidationOptions,
    TokenValidator,
)
from microsoft_teams.common import ClientOptions  # noqa: E402

__all__ = ["ApiClient", "ClientOptions", "JwtValidationOptions", "SdkLoop", "TokenValidator",
           "sdk_loop"]


class SdkLoop:
    """An event loop on its own daemon thread; ``run`` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ragtime-teams-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


_LOOP: SdkLoop | None = None
_LOOP_LOCK = threading.Lock()


def sdk_loop() -> SdkLoop:
    """The process's one loop for the SDK (started on first use)."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = SdkLoop()
        return _LOOP
