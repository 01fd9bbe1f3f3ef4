"""What keeps WeasyPrint fast on a long paper, in the PDF's own process (``bot.pdf.child``).

pydyf's ``PDF.page_references`` rebuilt once per page count instead of once per call: tagging
a PDF (PDF/UA) looks a page reference up for every marked element (WeasyPrint asks
``pdf.page_references[n]``), and pydyf 0.13 builds the tuple of every page's reference on each
call. A 350-page paper has ~70,000 tagged elements, so ~25 million references were built to
read one each: 3 of the 8 seconds of writing the 1,000-deliverable PDF, growing with the square
of the page count. The tuple now is kept and rebuilt only when a page is added; what it holds
is unchanged.

pydyf deflates every stream at zlib's level 9; with the shim at level 6, zlib's default: a
fifth of the time (1.15 s → 0.23 s for the 1,000-deliverable paper) for a file 4% larger.

``install()`` is idempotent and leaves a pydyf without the property or its ``zlib`` alone.
"""

from __future__ import annotations

import zlib
from types import ModuleType
from typing import Any

COMPRESSION_LEVEL = 6
_CACHE = "_ragtime_page_references"


def _page_references(pdf: Any) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get(_CACHE)
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__[_CACHE] = cached
    return cached[1]


_page_references.ragtime = True  # type: ignore[attr-defined]


class _Deflate(ModuleType):
    """zlib as pydyf sees it: the same module, but ``compressobj`` at ``COMPRESSION_LEVEL``."""

    def __init__(self) -> None:
        super().__init__("zlib")

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = COMPRESSION_LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(COMPRESSION_LEVEL, *args, **kwargs)


def install() -> None:
    import pydyf

    current = getattr(pydyf.PDF, "page_references", None)
    if isinstance(current, property) and not getattr(current.fget, "ragtime", False):
        pydyf.PDF.page_references = property(_page_references)
    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Deflate()
