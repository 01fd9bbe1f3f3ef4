"""Fuzzing ``ragtime import``: random bytes, mutated files and plausible random frameworks.

Every file either imports or is refused with ``FrameworkImportError`` naming the file; no other
exception escapes, and a refused file writes nothing. Each example runs in a transaction that is
rolled back, on one migrated SQLite file.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlmodel import Session, func, select

from bot.framework.importer import FrameworkImportError, import_framework
from storage.models import Deliverable
from tests.paths import DATA

TODAY = date(2024, 10, 1)
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def attempt(engine, name: str, data: bytes) -> tuple[str, int]:
    """Import ``data`` as a file called ``name``; ("ok" | the error, active deliverables)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with Session(engine) as session:
            try:
                import_framework(session, path, today=TODAY)
            except FrameworkImportError as error:
                message = str(error)
                assert message.startswith(name), message
                assert "Traceback" not in message
                count = _active(session)
                session.rollback()
                assert count == 0 or _active(session) == 0
                return message, 0
            else:
                count = _active(session)
                session.rollback()
                return "ok", count


def _active(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Deliverable)
                        .where(Deliverable.active)).one()


# ------------------------------------------------------------------------------ random bytes

@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["f.yaml", "f.yml", "f.csv", "f.xlsx"]))
@example(b"\xff\xfe\x00\x00", "f.csv")
@example(b"- [unclosed", "f.yaml")
@example(b"!!python/object/apply:os.system ['echo hi']", "f.yaml")
@example(b"a: &a [*a]", "f.yaml")
@example(b"PK\x03\x04" + b"\x00" * 100, "f.xlsx")
def test_random_bytes_are_imported_or_refused_clearly(engine, data, name):
    attempt(engine, name, data)


def _mutations(original: bytes) -> st.SearchStrategy[bytes]:
    """``original`` with a few bytes replaced, inserted or cut: files damaged in transit."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, max(0, len(data) - 1)))
            kind = draw(st.sampled_from(["replace", "insert", "cut"]))
            piece = draw(st.binary(min_size=1, max_size=8))
            if kind == "replace":
                data[at:at + len(piece)] = piece
            elif kind == "insert":
                data[at:at] = piece
            else:
                del data[at:at + len(piece)]
        return bytes(data)

    return mutate()


YAML_BYTES = (DATA / "framework.yaml").read_bytes()
CSV_BYTES = (DATA / "framework.csv").read_bytes()


def _xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email"])
    sheet.append(["Great Outcomes", "Access", "Review the access policy", "Alice Jones",
                  "Director of Finance", "alice.jones@example.nhs.uk"])
    sheet.append(["Great Care", "Estates", "A fit-for-purpose estate", "Bob Smith",
                  "Medical Director", "bob.smith@example.nhs.uk"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_BYTES = _xlsx_bytes()


def _needing_zip_version(workbook: bytes, version: int) -> bytes:
    """The workbook with its first central-directory entry asking for a ZIP version Python's
    zipfile cannot read (``NotImplementedError`` when opened; found by this fuzzer)."""
    entry = workbook.index(b"PK\x01\x02")
    return workbook[:entry + 6] + bytes([version, 0]) + workbook[entry + 8:]


@FUZZ
@given(st.one_of(
    st.tuples(st.just("f.yaml"), _mutations(YAML_BYTES)),
    st.tuples(st.just("f.csv"), _mutations(CSV_BYTES)),
))
def test_damaged_text_files_are_imported_or_refused_clearly(engine, named):
    name, data = named
    attempt(engine, name, data)


@settings(FUZZ)
@given(_mutations(XLSX_BYTES))
@example(_needing_zip_version(XLSX_BYTES, 64))
def test_damaged_workbooks_are_imported_or_refused_clearly(engine, data):
    attempt(engine, "f.xlsx", data)


def _with_damaged_sheet(workbook: bytes) -> bytes:
    """The workbook with the compressed bytes of its first worksheet scrambled (zip intact)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(workbook)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 3
    data[middle:middle + 12] = b"\xff" * 12
    return bytes(data)


def test_a_workbook_with_a_damaged_sheet_is_refused_clearly(engine):
    attempt(engine, "f.xlsx", _with_damaged_sheet(XLSX_BYTES))


def test_the_undamaged_originals_import(engine):
    assert attempt(engine, "f.yaml", YAML_BYTES)[0] == "ok"
    assert attempt(engine, "f.csv", CSV_BYTES) == ("ok", 4)
    assert attempt(engine, "f.xlsx", XLSX_BYTES) == ("ok", 2)


# -------------------------------------------------------------------------- plausible frameworks

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    st.dates())
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=5)
# Titles and names as people type them: any letters, punctuation, emoji, surrounding spaces.
words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
                ).filter(lambda text: text.strip())
IDS = ["ajones", "bsmith", "cdavies"]
# Names differing only in punctuation, accents or script share a derived ref (reported), so the
# themes and areas of a *valid* file come from lists of distinct names.
THEMES = st.sampled_from(["Great Outcomes", "Great Care", "Great Place to Work", "Équité",
                          "Great Health & Wellbeing"])
AREAS = st.sampled_from(["Access", "Workforce", "Research", "Estates & Facilities", "Café",
                         "Quality/Safety", "  Digital  "])


def _same(text: str) -> str:
    """Names that the importer takes for the same (whitespace and case aside)."""
    return " ".join(text.split()).casefold()


@st.composite
def valid_frameworks(draw: st.DrawFn) -> dict:
    """A framework file that is right in every detail (names, people, SROs, risks)."""
    people = [
        {"id": key, "name": draw(words), "title": draw(words),
         "email": f"{key}@example.nhs.uk",
         **({"slack_id": f"U0{key.upper()}"} if draw(st.booleans()) else {})}
        for key in IDS
    ]
    theme_names = draw(st.lists(THEMES, min_size=1, max_size=3, unique=True))
    themes = []
    for theme_name in theme_names:
        numbers = draw(st.lists(st.integers(1, 99), max_size=2, unique=True))
        themes.append({
            "name": theme_name,
            "ambition": draw(words),
            "objectives": draw(st.lists(words, max_size=3)),
            "risks": [{"number": f"{themes.__len__()}{n:02d}", "title": draw(words),
                       "score": draw(st.integers(1, 25)),
                       "direction": draw(st.sampled_from(["up", "down", "static"]))}
                      for n in numbers],
            "deliverables": [
                {"area": draw(AREAS), "title": title,
                 "sro": draw(st.one_of(st.sampled_from(IDS),
                                       st.lists(st.sampled_from(IDS), min_size=1, max_size=3,
                                                unique=True)))}
                for title in draw(st.lists(words, min_size=1, max_size=4, unique_by=_same))
            ],
        })
    return {"name": draw(words), "organisation": draw(words), "period": "2024/25 Q2",
            "people": people, "themes": themes}


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a document: the paths of its mapping values and list items."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@st.composite
def damaged_frameworks(draw: st.DrawFn) -> dict:
    """A valid framework with one to three places replaced by junk, removed or typo'd."""
    document = draw(valid_frameworks())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        kind = draw(st.sampled_from(["junk", "remove", "typo"]))
        if kind == "junk":
            parent[path[-1]] = draw(junk)
        elif kind == "remove":
            del parent[path[-1]]
        elif isinstance(path[-1], str):
            parent[path[-1] + "s"] = parent.pop(path[-1])
    return document


def _yaml(document: object) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True).encode()


@FUZZ
@given(valid_frameworks())
def test_valid_random_frameworks_import_every_deliverable(engine, document):
    given_deliverables = sum(len(theme["deliverables"]) for theme in document["themes"])
    assert attempt(engine, "framework.yaml", _yaml(document)) == ("ok", given_deliverables)


@FUZZ
@given(st.one_of(damaged_frameworks(), junk))
def test_damaged_random_frameworks_are_imported_or_refused_clearly(engine, document):
    outcome, _ = attempt(engine, "framework.yaml", _yaml(document))
    event("imported" if outcome == "ok" else "refused")


rows = st.lists(st.one_of(
    st.tuples(words, words, words, words, words,
              st.sampled_from(["a@example.nhs.uk", "b@example.nhs.uk; c@example.nhs.uk", "x"])),
    st.lists(st.text(max_size=12), max_size=8),
), max_size=6)


@FUZZ
@given(st.sampled_from([
    ["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email"],
    ["Theme", " Area", "Deliverable", "SRO Name", "SRO title", "SRO-Email", "Notes"],
    ["theme", "area", "title"],
    [],
]), rows, st.sampled_from([",", ";", "\t"]))
def test_random_spreadsheet_rows_are_imported_or_refused_clearly(engine, header, body, delimiter):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    if header:
        writer.writerow(header)
    writer.writerows(body)
    attempt(engine, "framework.csv", buffer.getvalue().encode())
