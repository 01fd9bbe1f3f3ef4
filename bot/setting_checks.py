"""Checks of setting values that need more than a type: ``RAGTIME_SECRET_KEY`` looks like a
key made at random (and how to make one); ``RAGTIME_EMAIL_FROM`` is one address.

The key signs every web form link; a key another deployment shares, or one a person can guess,
lets anyone make links. The usual ways to get it wrong are all literal text: ``.env`` files,
Docker's ``--env-file`` and systemd's ``EnvironmentFile`` never run ``$(…)``, so the README's
old ``RAGTIME_SECRET_KEY=$(python -c …)`` line became the same 63-character key everywhere.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

MIN_LENGTH = 32
MIN_DISTINCT = 12  # a 64-character hex key has 16; token_urlsafe(48) about 40
MAKE_ONE = ("make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' "
            "and paste the printed value")
# Text that documentation, templates and tutorials put where a key goes.
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "replace-me", "replaceme", "example",
                 "placeholder", "paste-", "your-secret", "your_secret", "yoursecret",
                 "secret-key-here", "xxxxxxxx", "token_urlsafe", "secrets.token")
_SHELL = ("$(", "${", "`")


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign links (one clause, with how to make a good one), else None."""
    if any(mark in key for mark in _SHELL):
        why = ("is a shell command, not its output (.env files, Docker's --env-file and "
               "systemd's EnvironmentFile do not run commands)")
    elif key != key.strip() or any(char.isspace() for char in key):
        why = "contains spaces: a key made at random has none"
    elif key[:1] in "\"'" and key[-1:] == key[:1]:
        why = "is in quotes, which Docker's --env-file keeps as part of the key"
    elif any(word in key.lower() for word in _PLACEHOLDERS):
        why = "is an example value, not a key made for this deployment"
    elif len(key) < MIN_LENGTH:
        why = f"must be at least {MIN_LENGTH} characters"
    elif len(set(key)) < MIN_DISTINCT or max(map(key.count, set(key))) > len(key) // 4:
        why = "repeats too few characters to be random"
    else:
        return None
    return f"RAGTIME_SECRET_KEY {why}; {MAKE_ONE}"


_ADDRESS = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+")
FROM_EXAMPLE = "Strategy team <strategy@example.nhs.uk>"


def sender_problem(sender: str) -> str | None:
    """Why ``sender`` cannot be the From address (one clause, with an example), else None."""
    text = sender.strip()
    if len(text) > 1 and text[0] in "\"'" and text[-1] == text[0]:
        why = "is in quotes, which Docker's --env-file keeps: write it without them"
    else:
        _name, address = parseaddr(text)
        bracketed = "<" in text or ">" in text
        if (not _ADDRESS.fullmatch(address)
                or (bracketed and not text.endswith(f"<{address}>"))
                or (not bracketed and text != address)):
            why = "is not one email address"
        else:
            return None
    return f"RAGTIME_EMAIL_FROM {why} (for example RAGTIME_EMAIL_FROM={FROM_EXAMPLE})"

