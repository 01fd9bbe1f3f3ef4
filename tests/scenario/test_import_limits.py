"""``ragtime import`` refuses files no real framework comes near, in one line, in bounded memory
and time, and creates no database: a zip bomb, a million-row sheet, a 50 MB value, YAML nested
thousands deep and YAML whose aliases expand to billions of values.

Each file is built here (streamed, so the test itself stays small) and imported by a real
``ragtime`` process whose wall time and peak memory are measured.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from bot.framework.importer.limits import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_VALUE_CHARS,
    MAX_XLSX_BYTES,
    MAX_YAML_DEPTH,
)
from tests.paths import EXAMPLE
from tests.support.cli import measured, one_error_line

# What a refused file may cost: a good import of the example takes about 100 MB and a second
# or two on a busy machine; without the limits these files take gigabytes or minutes.
MAX_PEAK_MB = 250
MAX_SECONDS = 30
MB = 1024 * 1024
HEADER = ("theme", "area", "deliverable", "sro_name", "sro_title", "sro_email")


def write_xlsx(path: Path, rows: Iterable[bytes]) -> Path:
    """A minimal workbook whose one sheet's rows are the XML chunks ``rows``, streamed into
    the zip so a sheet of hundreds of megabytes never sits in memory."""
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName'
            '="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
            '"xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id='
            '"rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
            '"worksheets/sheet1.xml"/></Relationships>',
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas'
                        b'.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def cell(column: str, row: int, text: str | bytes) -> bytes:
    value = text.encode() if isinstance(text, str) else text
    return (f'<c r="{column}{row}" t="inlineStr"><is><t>'.encode() + value
            + b"</t></is></c>")


def header_row() -> bytes:
    return b'<row r="1">' + b"".join(cell("ABCDEF"[i], 1, name)
                                     for i, name in enumerate(HEADER)) + b"</row>"


def refused(tmp_path: Path, file: Path) -> str:
    """Import ``file`` on a fresh database setting: its one error line, within the time and
    memory bounds, and no database file left behind."""
    database = tmp_path / "ragtime.db"
    run = measured("import", str(file), env={"DATABASE_URL": f"sqlite:///{database}"},
                   folder=tmp_path)
    line = one_error_line(run.result)
    assert not database.exists(), "a refused file must not create the database"
    assert run.seconds < MAX_SECONDS, (run.seconds, line)
    assert run.peak_mb < MAX_PEAK_MB, (run.peak_mb, line)
    return line


def test_a_tiny_xlsx_whose_one_cell_expands_to_200_mb_is_refused_unopened(tmp_path):
    def rows() -> Iterator[bytes]:
        yield header_row()
        yield b'<row r="2">' + cell("A", 2, b"")[:-len(b"</t></is></c>")]
        chunk = b"A" * MB
        for _ in range(200):
            yield chunk
        yield b"</t></is></c></row>"

    bomb = write_xlsx(tmp_path / "bomb.xlsx", rows())
    assert bomb.stat().st_size < MB  # tiny on disk
    line = refused(tmp_path, bomb)
    assert line == (f"error: bomb.xlsx: the workbook expands to 200 MB; a framework workbook "
                    f"may expand to at most {MAX_XLSX_BYTES // MB} MB")


def test_a_million_row_sheet_is_refused_after_the_first_rows(tmp_path):
    def rows() -> Iterator[bytes]:
        yield header_row()
        for number in range(2, 1_000_002):
            yield f'<row r="{number}"><c r="A{number}"><v>1</v></c></row>'.encode()

    sheet = write_xlsx(tmp_path / "million.xlsx", rows())
    line = refused(tmp_path, sheet)
    assert line == (f"error: million.xlsx: more than {MAX_ROWS:,} rows; a framework may have "
                    f"at most {MAX_ROWS:,}")


def test_a_sheet_claiming_a_million_empty_rows_is_refused_too(tmp_path):
    far = b'<row r="1000000"><c r="A1000000"><v>1</v></c></row>'
    sheet = write_xlsx(tmp_path / "sparse.xlsx", [header_row(), far])
    line = refused(tmp_path, sheet)
    assert f"more than {MAX_ROWS:,} rows" in line


def test_a_cell_longer_than_any_title_is_refused_with_its_row(tmp_path):
    long_title = "x" * (MAX_VALUE_CHARS + 1)
    row = (b'<row r="2">' + cell("A", 2, "Great Care") + cell("B", 2, "Safety")
           + cell("C", 2, long_title) + cell("D", 2, "Ann Lee") + cell("E", 2, "Director")
           + cell("F", 2, "ann@example.org") + b"</row>")
    sheet = write_xlsx(tmp_path / "long.xlsx", [header_row(), row])
    line = refused(tmp_path, sheet)
    assert line == (f"error: long.xlsx row 2, column 3: {MAX_VALUE_CHARS + 1:,} characters; a "
                    f"value may have at most {MAX_VALUE_CHARS:,}")


def test_a_million_row_csv_is_refused_by_its_size(tmp_path):
    plan = tmp_path / "million.csv"
    with plan.open("w") as out:
        out.write(",".join(HEADER) + "\n")
        for number in range(1_000_000):
            out.write(f"Great Care,Safety,Ward {number},Ann Lee,Director,ann@example.org\n")
    line = refused(tmp_path, plan)
    assert line.startswith("error: million.csv: the file is ")
    assert line.endswith(f"; a framework file of this kind may be at most "
                         f"{MAX_FILE_BYTES // MB} MB")


def test_a_csv_cell_longer_than_any_title_is_refused(tmp_path):
    plan = tmp_path / "long.csv"
    plan.write_text(",".join(HEADER) + "\nGreat Care,Safety," + "x" * 200_000
                    + ",Ann Lee,Director,ann@example.org\n")
    line = refused(tmp_path, plan)
    assert f"a value may have at most {MAX_VALUE_CHARS:,}" in line


def test_a_50_mb_yaml_value_is_refused_before_it_is_read(tmp_path):
    framework = tmp_path / "huge.yaml"
    with framework.open("w") as out:
        out.write("name: ")
        for _ in range(50):
            out.write("a" * MB)
        out.write("\n")
    line = refused(tmp_path, framework)
    assert line == (f"error: huge.yaml: the file is 50 MB; a framework file of this kind may "
                    f"be at most {MAX_FILE_BYTES // MB} MB")


def test_a_yaml_value_longer_than_any_title_is_refused_with_its_line(tmp_path):
    framework = tmp_path / "long.yaml"
    framework.write_text("name: Plan\norganisation: " + "x" * (MAX_VALUE_CHARS + 1) + "\n")
    line = refused(tmp_path, framework)
    assert line == (f"error: long.yaml line 2: {MAX_VALUE_CHARS + 1:,} characters; a value "
                    f"may have at most {MAX_VALUE_CHARS:,}")


@pytest.mark.parametrize(("name", "text"), [
    ("blocks.yaml", "themes:\n" + "".join("  " * depth + "- \n" for depth in range(5000))[:MB]),
    ("brackets.yaml", "themes: " + "[" * 1_000_000 + "]" * 1_000_000),
    ("mappings.yaml", "themes: " + "{a: " * 200_000 + "}" * 200_000),
])
def test_yaml_nested_thousands_deep_is_refused_without_a_traceback(tmp_path, name, text):
    framework = tmp_path / name
    framework.write_text(text)
    line = refused(tmp_path, framework)
    assert line.startswith(f"error: {name} line ")
    assert line.endswith(f": nested more than {MAX_YAML_DEPTH} levels deep")


def test_yaml_aliases_that_expand_to_billions_of_values_are_refused(tmp_path):
    lines = ["name: Plan", "cover:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        previous, this = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"  {this}: &{this} [" + ", ".join([f"*{previous}"] * 9) + "]")
    framework = tmp_path / "laughs.yaml"
    framework.write_text("\n".join(lines) + "\n")
    line = refused(tmp_path, framework)
    assert "values (counting what aliases repeat); a framework has far fewer" in line


def test_the_example_framework_is_well_within_every_limit(tmp_path):
    """The limits leave real frameworks alone (and measure what a good import costs)."""
    database = tmp_path / "ragtime.db"
    run = measured("import", str(EXAMPLE), env={"DATABASE_URL": f"sqlite:///{database}"},
                   folder=tmp_path)
    assert run.result.returncode == 0, run.result.stderr
    assert EXAMPLE.stat().st_size < MAX_FILE_BYTES / 100
    assert run.peak_mb < MAX_PEAK_MB
