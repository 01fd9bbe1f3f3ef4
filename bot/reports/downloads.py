"""A compiled report's files handed out by link: kept in the database and named by a token
signed with ``RAGTIME_SECRET_KEY`` (itsdangerous, salt ``ragtime-report-file``) that expires
after ``LINK_DAYS``. For channels that cannot carry the files themselves (Teams, without
Graph); anyone holding a live link can download the file, as with the web form's links."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from bot.settings import Settings
from storage.db import session_scope
from storage.models import ReportFile

LINK_DAYS = 7
SALT = "ragtime-report-file"


@dataclass(frozen=True)
class Download:
    name: str
    media_type: str
    content: bytes


class LinkRefused(Exception):
    """A download token that is malformed, forged (404) or expired (``expired``: 410)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def keep_files(engine: Engine, report_id: int, paths: Sequence[Path]) -> list[tuple[int, str]]:
    """Store the files of ``report_id``; (file id, name) of each."""
    kept: list[tuple[int, str]] = []
    with session_scope(engine, write=True) as session:
        for path in paths:
            media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            row = ReportFile(report_id=report_id, name=path.name, media_type=media,
                             content=path.read_bytes())
            session.add(row)
            session.flush()
            kept.append((row.id or 0, path.name))
    return kept


def download_link(settings: Settings, file_id: int) -> str:
    """``{RAGTIME_PUBLIC_URL}/files/<token>`` for the kept file ``file_id``."""
    public_url, key = settings.require_form()
    token = URLSafeTimedSerializer(key, salt=SALT).dumps({"file": file_id})
    return f"{public_url}/files/{token}"


def download(engine: Engine, settings: Settings, token: str) -> Download:
    """The file a token names (``LinkRefused`` for a bad, forged or expired one)."""
    _public, key = settings.require_form()
    try:
        data = URLSafeTimedSerializer(key, salt=SALT).loads(
            token, max_age=int(timedelta(days=LINK_DAYS).total_seconds()))
    except SignatureExpired:
        raise LinkRefused("this link has expired", expired=True) from None
    except BadData:
        raise LinkRefused("no such file") from None
    file_id = data.get("file") if isinstance(data, dict) else None
    with session_scope(engine) as session:
        row = session.get(ReportFile, file_id) if isinstance(file_id, int) else None
        if row is None:
            raise LinkRefused("no such file")
        return Download(name=row.name, media_type=row.media_type, content=bytes(row.content))
