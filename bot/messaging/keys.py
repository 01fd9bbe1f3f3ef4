"""Delivery keys as stored: bounded, whatever a request carried.

A key is built from what a request says (a trigger id, an event id, a channel and ts), and a
request may carry a value of any length; PostgreSQL refuses a unique-index entry over about
2.7 kB ("index row size exceeds btree maximum"). A long key is stored as its head and a hash
of the whole, so it stays unique and deduplicates the same way.
"""

from __future__ import annotations

import hashlib

MAX_KEY = 200


def stored_key(key: str) -> str:
    """``key`` itself when short; otherwise its first characters and its SHA-256."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[:MAX_KEY - len(digest) - 1]}#{digest}"
