"""Text that can be stored the same way on SQLite and PostgreSQL, and sent back to Slack.

Two kinds of character cannot: NUL (``\\x00``: PostgreSQL text refuses it; it arrives from a
paste out of another program or a broken client) and lone surrogates (half of a UTF-16 pair, not
valid Unicode: a JSON ``"\\ud800"`` decodes to one, and no database encoding or HTTP request can
carry it). What someone wrote for the board paper is refused rather than silently changed, with
a message saying what to change (``unstorable``, applied by ``bot.collection.rules``);
``storable`` only cleans a copy to pre-fill a form or quote it back to them.
"""

from __future__ import annotations

import re

_NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")
_REPLACEMENT = "\ufffd"


def unstorable(text: str | None) -> str | None:
    """What in ``text`` cannot be stored, as the end of a sentence; None when it is fine."""
    if not text:
        return None
    if _NUL in text:
        return ("contains a NUL character (an invisible control character, often from pasting "
                "out of another program): retype or paste it as plain text and save again")
    if _SURROGATE.search(text):
        return ("contains characters that are not valid Unicode (a broken emoji or symbol): "
                "remove or retype them and save again")
    return None


def storable(text: str) -> str:
    """``text`` with NUL removed and lone surrogates replaced by U+FFFD (�): only for showing
    or pre-filling what someone wrote, never for storing it in their name."""
    return _SURROGATE.sub(_REPLACEMENT, text.replace(_NUL, ""))
