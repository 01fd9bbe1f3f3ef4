"""Deliverable references people read and type: ``GO-3`` is the third deliverable of Great
Outcomes.

A reference is the theme's initials and the deliverable's place in its theme when it was first
imported, and it is kept from then on (stored in ``Deliverable.code``), so reordering a file
never renames a deliverable the board has already read about. A ``ref:`` in the file written
as a reference (``GO-3``) is used as written instead. Unlike the per-area numbers (1, 2, 1…),
references never repeat inside a table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SMALL_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to",
                          "with"})
_CODE = re.compile(r"^(?P<prefix>.+)-(?P<n>\d+)$")
_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,5}-\d{1,4}$")


def looks_like_code(ref: str) -> bool:
    """Whether a file's ``ref`` is written as a reference (``GO-3``, ``PC-12``) and so is shown
    as one; identities such as ``go-access-1`` are not, and get a reference of their own."""
    return bool(_SHAPE.match(ref))


def theme_prefix(name: str) -> str:
    """``Great Outcomes`` → ``GO``, ``Part of the Community`` → ``PC`` (at most four letters)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    initials = "".join(w[0] for w in words if w.lower() not in _SMALL_WORDS)
    return (initials or "".join(w[0] for w in words) or "D").upper()[:4]


def theme_prefixes(names: Iterable[str]) -> dict[str, str]:
    """Each theme's prefix (by casefolded name), made distinct: a second ``GC`` is ``GC2``."""
    found: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        key = name.casefold()
        if key in found:
            continue
        base = prefix = theme_prefix(name)
        extra = 2
        while prefix in used:
            prefix, extra = f"{base}{extra}", extra + 1
        found[key] = prefix
        used.add(prefix)
    return found


class CodeBook:
    """The references taken in one framework, handing out new ones that clash with none."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken: set[str] = set()
        self._highest: dict[str, int] = {}
        for code in taken:
            self.take(code)

    def __contains__(self, code: str) -> bool:
        return code.casefold() in self._taken

    def take(self, code: str) -> str:
        self._taken.add(code.casefold())
        match = _CODE.match(code)
        if match:
            prefix = match["prefix"].casefold()
            self._highest[prefix] = max(self._highest.get(prefix, 0), int(match["n"]))
        return code

    def release(self, code: str) -> None:
        self._taken.discard(code.casefold())

    def new(self, prefix: str, place: int) -> str:
        """``PREFIX-place``, or the next number after the theme's highest when that is taken."""
        code = f"{prefix}-{place}"
        if code in self:
            code = f"{prefix}-{self._highest.get(prefix.casefold(), 0) + 1}"
        return self.take(code)
