"""The ``Directory`` port on Slack: people found by email, emails read from profiles.

Emails are read to recognise governance leads configured by email, before a lead-only listener
runs; they are kept for a few minutes so a lead's clicks do not each wait on ``users.info``.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from handlers.slack.gateway import SlackGateway

EMAIL_CACHE_SECONDS = 300
EMAIL_CACHE_SIZE = 4096


class SlackDirectory:
    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway
        self._emails: TTLCache[str, str | None] = TTLCache(EMAIL_CACHE_SIZE, EMAIL_CACHE_SECONDS)
        self._lock = threading.Lock()

    def user_for_email(self, email: str) -> str | None:
        """``users.lookupByEmail``; None when Slack has nobody with that email. Other Slack
        errors (a bad token, a missing scope) are raised: they should stop a round's opening,
        not mark everyone missing."""
        return self.gateway.lookup_user_by_email(email)

    def email_of(self, user_id: str) -> str | None:
        """The email on ``user_id``'s profile (``users.info``; needs ``users:read.email``)."""
        with self._lock:
            if user_id in self._emails:
                return self._emails[user_id]
        profile = self.gateway.user_info(user_id).get("profile") or {}
        email = str(profile["email"]) if profile.get("email") else None
        with self._lock:
            self._emails[user_id] = email
        return email
