"""Cells that a spreadsheet shows as text, never runs: the one rule for every CSV (and XLSX) the
project writes.

OWASP's CSV-injection guidance: a cell a person could have written must not start with a
character that makes Excel, LibreOffice or Google Sheets read it as a formula — ``=``, ``+``,
``-``, ``@``, tab, carriage return (and line feed and NUL, which some importers strip first) or
their fullwidth forms (``＝ ＋ － ＠``, which spreadsheets in CJK locales treat alike). Such a
cell gets a leading single quote, also when spaces come before the character (importers may trim
them). Every cell is also quoted (``csv.QUOTE_ALL``) with embedded quotes doubled, so a ``,`` or
a ``;`` (the separator in many locales) inside a value can never start a new cell whose first
character was not checked.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = frozenset("=+-@\t\r\n\x00" "\uff1d\uff0b\uff0d\uff20")
_BLANKS = " \u00a0\u3000"  # spaces an importer may trim before reading the first character


def safe_cell(value: Any) -> str:
    """``value`` as cell text (``None`` empty, a list joined with "; "), prefixed with ``'``
    when a spreadsheet would otherwise read it as a formula."""
    if value is None:
        return ""
    text = "; ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    first = text.lstrip(_BLANKS)[:1]
    return "'" + text if first and first in FORMULA_STARTS else text


def write_csv_rows(stream: TextIO, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A CSV file whose every cell (the header too) went through ``safe_cell``, all quoted."""
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
