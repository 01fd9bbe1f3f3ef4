"""Delivery keys as stored: bounded, whatever a request carried.

A key is built from what a request says (a trigger id, an event id, a channel and ts), and a
request may carry a value of any length; PostgreSQL refuses a unique-index entry over about
2.7 kB ("index row size exceeds btree maximum"), and any text holding a NUL ("text fields
cannot contain NUL"). A long key, or one with a NUL or a lone surrogate (not valid Unicode), is
stored as its head without them and a hash of the whole, so it stays unique and deduplicates the
same way on both databases.
"""

from __future__ import annotations

import hashlib
import re

MAX_KEY = 200
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def stored_key(key: str) -> str:
    """``key`` itself when short and storable; otherwise its first storable characters and
    the SHA-256 of the whole."""
    if len(key) <= MAX_KEY and not _UNSTORABLE.search(key):
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_UNSTORABLE.sub('', key)[:MAX_KEY - len(digest) - 1]}#{digest}"
