"""Start-up refuses what an operator's settings file gets wrong, in one line, before any
database is made: a secret key that is a shell command (the README's old snippet), a From
address in quotes, email settings half given."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.support.cli import one_error_line, ragtime

SLACK = "SLACK_BOT_TOKEN=xoxb-1-2-3\nSLACK_SIGNING_SECRET=abc123\n"
KEY = secrets.token_urlsafe(48)


def _serve(folder: Path, env_file: str):
    """``ragtime serve`` run where an operator keeps a ``.env`` with these lines."""
    (folder / ".env").write_text(SLACK + f"DATABASE_URL=sqlite:///{folder / 'ragtime.db'}\n"
                                 + env_file)
    return ragtime("serve", "--port", "0", cwd=folder, timeout=60)


def test_the_readmes_old_secret_key_line_stops_serve(tmp_path: Path):
    result = _serve(tmp_path, "RAGTIME_PUBLIC_URL=https://ragtime.example.nhs.uk\n"
                    "RAGTIME_SECRET_KEY=$(python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')\n")

    line = one_error_line(result)
    assert "RAGTIME_SECRET_KEY is a shell command" in line
    assert "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'" in line
    assert not (tmp_path / "ragtime.db").exists()


def test_a_quoted_from_address_stops_serve(tmp_path: Path):
    # .env readers strip quotes, Docker's --env-file keeps them: given to the process as is.
    result = ragtime("serve", "--port", "0", cwd=tmp_path, timeout=60, env={
        "SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "abc123",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}",
        "RAGTIME_EMAIL_TRANSPORT": "smtp", "RAGTIME_SMTP_HOST": "send.nhs.net",
        "RAGTIME_EMAIL_FROM": '"Strategy team <strategy@example.nhs.uk>"',
        "RAGTIME_PUBLIC_URL": "https://ragtime.example.nhs.uk", "RAGTIME_SECRET_KEY": KEY})

    assert "RAGTIME_EMAIL_FROM is in quotes" in one_error_line(result)
    assert not (tmp_path / "ragtime.db").exists()


def test_half_given_email_settings_stop_serve_before_the_database_is_made(tmp_path: Path):
    result = _serve(tmp_path, "RAGTIME_EMAIL_TRANSPORT=smtp\n"
                    "RAGTIME_EMAIL_FROM=Strategy team <strategy@example.nhs.uk>\n"
                    f"RAGTIME_PUBLIC_URL=https://ragtime.example.nhs.uk\nRAGTIME_SECRET_KEY={KEY}\n")

    assert "RAGTIME_SMTP_HOST" in one_error_line(result)
    assert not (tmp_path / "ragtime.db").exists()
