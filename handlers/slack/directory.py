"""The ``Directory`` port on Slack: people found by email, emails read from profiles."""

from __future__ import annotations

from handlers.slack.gateway import SlackGateway


class SlackDirectory:
    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway

    def user_for_email(self, email: str) -> str | None:
        """``users.lookupByEmail``; None when Slack has nobody with that email."""
        return self.gateway.lookup_user_by_email(email)

    def email_of(self, user_id: str) -> str | None:
        """The email on ``user_id``'s profile (``users.info``; needs ``users:read.email``)."""
        profile = self.gateway.user_info(user_id).get("profile") or {}
        email = profile.get("email")
        return str(email) if email else None
