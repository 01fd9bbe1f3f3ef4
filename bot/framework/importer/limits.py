"""How big a framework file may be: limits no real framework reaches, checked before (or while)
anything large is read, so a hostile or broken file is refused in one line in bounded memory
and time.

A strategy has tens of deliverables and the largest trust frameworks a few hundred; their files
are kilobytes. Beyond these limits a file is refused, never partly imported:

- ``MAX_FILE_BYTES``: a YAML or CSV file, and ``MAX_XLSX_FILE_BYTES`` an XLSX file (which may
  carry a logo and styles), checked before it is read;
- ``MAX_XLSX_BYTES``: what an XLSX workbook (a zip) expands to, summed over its parts from the
  zip's directory before anything is decompressed (a zip bomb is refused unopened; Python's
  zipfile never yields more than a part's declared size);
- ``MAX_ROWS``: spreadsheet rows, counted while the sheet is streamed (a sheet claiming a
  million rows is refused after the first ``MAX_ROWS``);
- ``MAX_VALUE_CHARS``: one spreadsheet cell or YAML value;
- ``MAX_YAML_DEPTH`` and ``MAX_YAML_NODES``: how deeply a YAML file nests and how many values it
  holds once its aliases are expanded (a "billion laughs" file is refused while it is read).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.framework.importer.errors import Problems

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_XLSX_FILE_BYTES = 10 * 1024 * 1024
MAX_XLSX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 100  # columns read from a sheet (the framework's are the first few)
MAX_VALUE_CHARS = 10_000
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def check_file_size(path: Path, problems: Problems, *, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a file larger than ``limit`` before reading it."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise problems.fail("", "", f"cannot read the file: {error.strerror or error}") from None
    if size > limit:
        raise problems.fail("", "", f"the file is {megabytes(size)}; a framework file of this "
                                    f"kind may be at most {megabytes(limit)}")


def check_xlsx_size(path: Path, problems: Problems) -> None:
    """Refuse a workbook whose parts expand beyond ``MAX_XLSX_BYTES``, without expanding them."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, NotImplementedError,
            EOFError) as error:  # NotImplementedError: a ZIP version zipfile cannot read
        raise problems.fail("", "", f"not a readable Excel workbook (.xlsx): {error}") from None
    if expanded > MAX_XLSX_BYTES:
        raise problems.fail("", "", f"the workbook expands to {megabytes(expanded)}; a framework "
                                    f"workbook may expand to at most {megabytes(MAX_XLSX_BYTES)}")


def value_too_long(length: int) -> str:
    return f"{length:,} characters; a value may have at most {MAX_VALUE_CHARS:,}"


def bounded_rows(rows: Iterable[tuple[int, list[str]]], problems: Problems
                 ) -> Iterator[tuple[int, list[str]]]:
    """``rows`` (row number, cells) checked as they are read: more than ``MAX_ROWS`` rows or a
    cell longer than ``MAX_VALUE_CHARS`` ends the import at once."""
    for number, cells in rows:
        if number > MAX_ROWS:
            raise problems.fail("", "", f"more than {MAX_ROWS:,} rows; a framework may have at "
                                        f"most {MAX_ROWS:,}")
        for column, cell in enumerate(cells, 1):
            if len(cell) > MAX_VALUE_CHARS:
                raise problems.fail(f"row {number}", f"column {column}",
                                    value_too_long(len(cell)))
        yield number, cells
