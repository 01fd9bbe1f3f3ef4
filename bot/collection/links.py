"""Personal links: a signed URL naming one person and one round (the web form opens it).

Signed with ``RAGTIME_SECRET_KEY`` (itsdangerous, salt ``ragtime-form-link``); the URL lives
under ``RAGTIME_PUBLIC_URL``. The web form checks the signature, the age and revocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous import URLSafeTimedSerializer

from bot.settings import SettingsError

if TYPE_CHECKING:
    from bot.context import AppContext

SALT = "ragtime-form-link"


def personal_link(ctx: AppContext, *, person_id: int, round_id: int) -> str:
    """The absolute URL of ``person_id``'s form for ``round_id``."""
    settings = ctx.settings
    if not settings.public_url or not settings.secret_key:
        raise SettingsError("personal links need RAGTIME_PUBLIC_URL and RAGTIME_SECRET_KEY")
    serializer = URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=SALT)
    token = serializer.dumps({"p": person_id, "r": round_id})
    return f"{settings.public_url}/form/{token}"
