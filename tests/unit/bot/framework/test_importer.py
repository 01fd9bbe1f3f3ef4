"""``import_framework``: the three file forms, clear errors, idempotent re-import, atomicity."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.calendar.periods import Period, stored_period
from bot.framework.importer import FrameworkImportError, import_framework
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    Deliverable,
    DeliverableOwner,
    Framework,
    PeriodRecord,
    Person,
    Rag,
    Risk,
    RiskScore,
    Role,
    Source,
    Theme,
    Update,
)
from tests.paths import DATA

YAML_TEXT = (DATA / "framework.yaml").read_text(encoding="utf-8")
HEADER = ["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email"]


def run_import(engine, path: Path, **options):
    with session_scope(engine, write=True) as session:
        return import_framework(session, path, **options)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a failed import changed nothing."""
    with engine.connect() as conn:
        return {table.name: sorted(map(tuple, conn.execute(sa_select(table))), key=repr)
                for table in SQLModel.metadata.sorted_tables}


def deliverables(engine) -> dict[str, dict]:
    """Each deliverable by ref, with its theme, SROs and delegates as a user would read them."""
    with session_scope(engine) as s:
        out = {}
        for d in s.exec(select(Deliverable).order_by(Deliverable.position)):
            owners = s.exec(select(DeliverableOwner, Person).join(Person).where(
                DeliverableOwner.deliverable_id == d.id).order_by(DeliverableOwner.position)).all()
            out[d.ref] = {
                "theme": s.get(Theme, d.theme_id).name, "area": d.area, "title": d.title,
                "number": d.number, "active": d.active,
                "sros": [p.name for o, p in owners if o.role == Role.sro],
                "delegates": [p.name for o, p in owners if o.role == Role.delegate],
            }
        return out


def risk_scores(engine) -> dict[str, tuple]:
    with session_scope(engine) as s:
        rows = s.exec(select(Risk, RiskScore, PeriodRecord).join(
            RiskScore, RiskScore.risk_id == Risk.id).join(PeriodRecord)).all()
        return {risk.number: (score.score, score.direction, period.label)
                for risk, score, period in rows}


# -- good files ---------------------------------------------------------------------------------


def test_yaml_imports_everything(any_engine):
    summary = run_import(any_engine, DATA / "framework.yaml")

    assert summary.framework_created
    assert (summary.themes.created, summary.people.created, summary.deliverables.created,
            summary.risks.created) == (2, 3, 4, 3)
    assert "4 created" in str(summary)
    with session_scope(any_engine) as s:
        framework = s.exec(select(Framework)).one()
        assert (framework.name, framework.organisation) == ("Test Strategy", "Test Trust")
        assert framework.cover == {"meeting": "Public Trust Board",
                                   "baf_considered": ["01", "02", "03"]}
        assert framework.rules == {"recovery_required_for": ["red"]}
        themes = s.exec(select(Theme).order_by(Theme.position)).all()
        assert [t.name for t in themes] == ["Great Outcomes", "Great Care"]
        assert themes[0].objectives == ["We will improve access to our services.",
                                        "We will continue to innovate."]
        assert themes[1].objectives == ["We will listen to feedback and make changes."]
        alice = s.exec(select(Person).where(Person.key == "ajones")).one()
        assert (alice.email, alice.slack_id) == ("alice.jones@example.nhs.uk", "U0AJONES1")
    assert deliverables(any_engine) == {
        "great-outcomes/access/1": {
            "theme": "Great Outcomes", "area": "Access", "title": "Review the access policy",
            "number": "1", "active": True, "sros": ["Alice Jones"], "delegates": []},
        "great-outcomes/access/2": {
            "theme": "Great Outcomes", "area": "Access", "title": "Update directorate procedures",
            "number": "2", "active": True, "sros": ["Alice Jones"], "delegates": ["Carol Davies"]},
        "research-1": {
            "theme": "Great Outcomes", "area": "Research",
            "title": "Attain university hospital status", "number": "7", "active": True,
            "sros": ["Bob Smith", "Carol Davies"], "delegates": []},
        "great-care/estates/1": {
            "theme": "Great Care", "area": "Estates", "title": "A fit-for-purpose estate",
            "number": "1", "active": True, "sros": ["Alice Jones"], "delegates": []},
    }
    # `number: 01` is kept as written; scores belong to the file's period.
    assert risk_scores(any_engine) == {"01": (20, "static", "2024/25 Q3"),
                                       "02": (9, None, "2024/25 Q3"),
                                       "03": (12, "up", "2024/25 Q3")}


def test_risk_scores_default_to_the_quarter_being_reported(engine, tmp_path):
    """Without ``period:`` the scores are for the paper being written: the quarter before
    today's (a paper is compiled after its quarter ends)."""
    path = write(tmp_path, "strategy.yaml", YAML_TEXT.replace("period: 2024/25 Q3\n", ""))
    summary = run_import(engine, path, today=date(2025, 2, 14))
    assert summary.risk_period == Period(2024, 3)
    assert {label for _, _, label in risk_scores(engine).values()} == {"2024/25 Q3"}


def test_csv_with_bom_and_loose_headers(engine):
    summary = run_import(engine, DATA / "framework.csv")

    assert summary.framework == "framework"  # a new framework is named after the file
    assert summary.risk_period is None  # spreadsheets carry no BAF risks
    assert str(summary) == ("framework 'framework' created: themes 2 created; people 3 created; "
                            "deliverables 4 created")
    assert (summary.themes.created, summary.people.created, summary.deliverables.created) == (
        2, 3, 4)
    rows = deliverables(engine)
    assert rows["great-outcomes/research/1"]["sros"] == ["Bob Smith", "Carol Davies"]
    assert rows["great-care/estates/1"]["sros"] == ["Alice Jones"]
    with session_scope(engine) as s:
        people = {p.key: (p.name, p.title, p.email) for p in s.exec(select(Person))}
    assert people == {
        "alice.jones": ("Alice Jones", "Director of Finance", "alice.jones@example.nhs.uk"),
        "bob.smith": ("Bob Smith", "Medical Director", "bob.smith@example.nhs.uk"),
        "carol.davies": ("Carol Davies", "Director of Nursing", "carol.davies@example.nhs.uk"),
    }


def test_csv_rows_update_the_framework_imported_from_yaml(engine, tmp_path):
    run_import(engine, DATA / "framework.yaml")
    summary = run_import(engine, DATA / "framework.csv")

    assert summary.framework == "Test Strategy"
    assert summary.people.created == 0  # matched by email, whatever its case
    assert summary.themes.unchanged == 2
    rows = deliverables(engine)
    assert rows["great-outcomes/access/2"]["delegates"] == ["Carol Davies"]  # kept
    assert rows["research-1"]["active"] is False  # the CSV has no ref column for it …
    assert rows["great-outcomes/research/1"]["sros"] == ["Bob Smith", "Carol Davies"]  # … so new
    with session_scope(engine) as s:
        assert s.exec(select(Theme).where(Theme.name == "Great Care")).one().ambition == (
            "Great care for every service user.")


def test_xlsx(engine, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Theme", "Area", "Deliverable", "SRO name", "SRO title", "SRO email", "Ref",
                  "Number", "SRO Slack ID"])
    sheet.append(["Great Outcomes", "Access", "Review the access policy", "Alice Jones",
                  "Director of Finance", "alice.jones@example.nhs.uk", "acc-1", 1, "U0AJONES1"])
    sheet.append([None] * 9)  # blank rows are skipped
    sheet.append(["Great Outcomes", "Research", "Attain university hospital status",
                  "Bob Smith;Carol Davies", "Medical Director;Director of Nursing",
                  "bob.smith@example.nhs.uk;carol.davies@example.nhs.uk", "res-1", 2.0,
                  "U0BSMITH1;U0CDAVIES"])
    book.save(tmp_path / "plan.xlsx")

    summary = run_import(engine, tmp_path / "plan.xlsx", framework_name="Plan")

    assert (summary.framework, summary.deliverables.created) == ("Plan", 2)
    rows = deliverables(engine)
    assert rows["acc-1"]["number"] == "1"
    assert rows["res-1"]["number"] == "2"
    assert rows["res-1"]["sros"] == ["Bob Smith", "Carol Davies"]
    with session_scope(engine) as s:
        assert s.exec(select(Person.slack_id).where(Person.key == "carol.davies")).one() == (
            "U0CDAVIES")


# -- re-import ----------------------------------------------------------------------------------


def test_reimport_of_the_same_file_changes_nothing(engine):
    run_import(engine, DATA / "framework.yaml")
    before = snapshot(engine)
    summary = run_import(engine, DATA / "framework.yaml")

    assert not summary.changed
    assert "unchanged" in str(summary)
    after = snapshot(engine)
    assert len(after.pop("audit_event")) == len(before.pop("audit_event")) + 1
    assert after == before


def test_reimport_updates_in_place_keeps_history_and_deactivates(any_engine, tmp_path):
    run_import(any_engine, DATA / "framework.yaml")
    with session_scope(any_engine, write=True) as s:
        research = s.exec(select(Deliverable).where(Deliverable.ref == "research-1")).one()
        estate = s.exec(select(Deliverable).where(Deliverable.ref == "great-care/estates/1")).one()
        period = stored_period(s, Period(2024, 3))
        for deliverable in (research, estate):
            s.add(Update(deliverable_id=deliverable.id, period_id=period.id, rag=Rag.green,
                         narrative="On track.", source=Source.cli,
                         submitted_at=datetime(2024, 12, 1, tzinfo=UTC)))

    changed = (YAML_TEXT
               .replace("title: Attain university hospital status",
                        "title: Attain university hospital trust status")
               .replace("sro: [bsmith, cdavies]", "sro: [cdavies]")
               .replace("        score: 12\n", "        score: 16\n")
               .split("  - name: Great Care")[0]
               + "  - name: Great Care\n    ambition: New ambition.\n")
    summary = run_import(any_engine, write(tmp_path, "framework.yaml", changed))

    assert (summary.deliverables.created, summary.deliverables.updated,
            summary.deliverables.deactivated, summary.deliverables.unchanged) == (0, 1, 1, 2)
    assert summary.themes.updated == 1
    rows = deliverables(any_engine)
    assert len(rows) == 4  # nothing duplicated
    assert rows["research-1"]["title"] == "Attain university hospital trust status"
    assert rows["research-1"]["sros"] == ["Carol Davies"]
    assert rows["great-care/estates/1"]["active"] is False
    with session_scope(any_engine) as s:
        assert len(s.exec(select(Update)).all()) == 2  # history kept
        assert len(s.exec(select(Person)).all()) == 3
        # the theme's risk is kept with its old score: the new file gives none
    assert risk_scores(any_engine)["03"] == (12, "up", "2024/25 Q3")

    # Putting the deliverable back reactivates it.
    summary = run_import(any_engine, DATA / "framework.yaml")
    assert summary.deliverables.updated == 2
    assert deliverables(any_engine)["great-care/estates/1"]["active"] is True


def test_reimport_with_changed_csv_titles_updates_by_position(engine, tmp_path):
    run_import(engine, DATA / "framework.csv")
    text = (DATA / "framework.csv").read_text(encoding="utf-8-sig")
    text = text.replace("Update directorate procedures", "Update all directorate procedures")
    text = text.replace("Bob Smith; Carol Davies,Medical Director; Director of Nursing,"
                        "bob.smith@example.nhs.uk;carol.davies@example.nhs.uk",
                        "Dan Evans,Chief Nurse,dan.evans@example.nhs.uk")
    summary = run_import(engine, write(tmp_path, "framework.csv", text))

    assert (summary.deliverables.created, summary.deliverables.updated) == (0, 2)
    assert summary.people.created == 1
    rows = deliverables(engine)
    assert rows["great-outcomes/access/2"]["title"] == "Update all directorate procedures"
    assert rows["great-outcomes/research/1"]["sros"] == ["Dan Evans"]


def test_each_import_is_audited(engine):
    run_import(engine, DATA / "framework.yaml", actor="U0LEAD")
    with session_scope(engine) as s:
        event = s.exec(select(AuditEvent)).one()
    assert (event.actor, event.action, event.subject) == ("U0LEAD", "framework.import",
                                                          "Test Strategy")
    assert event.detail["file"] == "framework.yaml"
    assert event.detail["deliverables"]["created"] == 4


# -- bad files ----------------------------------------------------------------------------------


def yaml_problem(tmp_path, old: str, new: str, *, needle: str | None = None):
    """Import framework.yaml with ``old`` replaced: the first problem and the line of ``needle``."""
    assert old in YAML_TEXT
    text = YAML_TEXT.replace(old, new, 1)
    path = write(tmp_path, "framework.yaml", text)
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]  # fails before any database use
    return str(caught.value.problems[0]), line_of(text, needle or new.strip().splitlines()[0])


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("sro: [bsmith, cdavies]", "sro: [bsmith, smurphy2]",
     "themes[0].deliverables[2].sro", "unknown SRO id 'smurphy2'"),
    ("        sro: ajones\n        delegates",
     "        sro: ajonse\n        delegates",
     "themes[0].deliverables[1].sro", "unknown SRO id 'ajonse' (did you mean 'ajones'?)"),
    ("score: 20", "score: 30", "themes[0].risks[0].score", "score must be from 1 to 25, not 30"),
    ("score: 9", "score: high", "themes[0].risks[1].score",
     "score must be a whole number from 1 to 25, not 'high'"),
    ("direction: static", "direction: sideways", "themes[0].risks[0].direction",
     "unknown direction 'sideways' (use up, down, static)"),
    ("        title: A fit-for-purpose estate\n", "        titel: A fit-for-purpose estate\n",
     "themes[1].deliverables[0].titel", "unknown key 'titel' (did you mean 'title'?)"),
    ("period: 2024/25 Q3", "period: Q5 2024", "period",
     "'Q5 2024' is not a period; write it as '2024/25 Q2', '2024-25-Q2' or 'Q2 2024/25'"),
    ("    email: bob.smith@example.nhs.uk", "    email: bob.smith", "people[1].email",
     "'bob.smith' is not an email address"),
    ("  - name: Great Care", "  - name: great outcomes", "themes[1].name",
     "theme 'great outcomes' appears twice"),
    ('number: "03"', "number: 01  # again", "themes[1].risks[0].number",
     "BAF risk number '01' is used twice"),
])
def test_bad_yaml_values_name_file_line_and_field(tmp_path, old, new, field, message):
    problem, line = yaml_problem(tmp_path, old, new)
    assert problem == f"framework.yaml line {line}, {field}: {message}"


def test_missing_title_points_at_the_deliverable(tmp_path):
    problem, line = yaml_problem(tmp_path, "        title: A fit-for-purpose estate\n", "",
                                 needle="- area: Estates")
    assert problem == f"framework.yaml line {line}, themes[1].deliverables[0].title: missing title"


def test_duplicate_ref_and_duplicate_title(tmp_path):
    text = (YAML_TEXT
            .replace("      - area: Estates\n", "      - area: Estates\n        ref: research-1\n")
            .replace("title: Update directorate procedures", "title: Review the access policy"))
    path = write(tmp_path, "framework.yaml", text)
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    access = [n for n, line in enumerate(text.splitlines(), 1) if "- area: Access" in line]
    assert str(caught.value).splitlines() == [
        "framework.yaml: 2 problems, nothing was imported",
        f"  framework.yaml line {access[1]}, themes[0].deliverables[1].title: duplicate "
        f"deliverable: 'Review the access policy' appears twice in Great Outcomes / Access "
        f"(also at line {access[0]})",
        f"  framework.yaml line {line_of(text, '- area: Estates')}, "
        f"themes[1].deliverables[0].ref: duplicate deliverable: ref 'research-1' is also used "
        f"at line {line_of(text, '- ref: research-1')}",
    ]


def test_all_problems_are_reported_together_up_to_twenty(tmp_path):
    people = "".join(f"  - id: p{n}\n    name: P {n}\n    email: nope{n}\n" for n in range(25))
    text = YAML_TEXT.replace("people:\n", "people:\n" + people)
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, write(tmp_path, "framework.yaml", text))  # type: ignore[arg-type]
    assert len(caught.value.problems) == 25
    message = str(caught.value)
    assert message.splitlines()[0] == "framework.yaml: 25 problems, nothing was imported"
    assert message.count("is not an email address") == 20
    assert message.endswith("… and 5 more")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("framework.yaml", "name: [unclosed\npeople: []\n",
     "framework.yaml line 2: malformed YAML"),
    ("framework.yaml", "   \n# nothing here\n", "framework.yaml: the file is empty"),
    ("framework.yaml", b"name: Caf\xe9\n", "framework.yaml: not UTF-8 text (byte 0xe9"),
    ("framework.yaml", "- just\n- a list\n", "framework.yaml line 1: expected a mapping"),
    ("framework.yaml", "name: X\n", "framework.yaml line 1, themes: missing themes"),
    ("framework.txt", "theme,area\n", "framework.txt: unknown file type '.txt'; use .yaml, .yml,"
                                      " .csv, .xlsx"),
    ("framework.csv", "", "framework.csv: the file is empty"),
    ("framework.csv", b"\xff\xfetheme\n", "framework.csv: not UTF-8 text"),
    ("framework.csv", "Theme,Area,Deliverable,SRO\n",
     "framework.csv row 1, sro_title, sro_email: missing column(s) sro_title, sro_email "
     "(found: Theme, Area, Deliverable, SRO)"),
    ("framework.csv", ",".join(HEADER) + "\n", "framework.csv: no deliverable rows"),
    ("framework.xlsx", "theme,area\n", "framework.xlsx: not a readable Excel workbook"),
])
def test_bad_files(tmp_path, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    assert str(caught.value).startswith(expected)


def test_missing_file(tmp_path):
    with pytest.raises(FrameworkImportError, match=r"^nowhere.yaml: cannot read the file"):
        import_framework(None, tmp_path / "nowhere.yaml")  # type: ignore[arg-type]


@pytest.mark.parametrize(("row", "expected"), [
    ("Great Care,Estates,,Alice Jones,Director,alice.jones@example.nhs.uk",
     "framework.csv row 3, deliverable: missing deliverable"),
    ("Great Care,Estates,Estate,Alice Jones; Bob Smith,,alice.jones@example.nhs.uk",
     "framework.csv row 3, sro_email: 2 SRO name(s) but 1 in sro_email; separate joint SROs "
     "with ';' in each sro_ column"),
    ("Great Care,Estates,Estate,Alice Jones,Director,alice.jones.example.nhs.uk",
     "framework.csv row 3, sro_email: 'alice.jones.example.nhs.uk' is not an email address"),
    ("Great Care,Estates,Estate,Alice Jonas,Director,alice.jones@example.nhs.uk",
     "framework.csv row 3, sro_name: alice.jones@example.nhs.uk is 'Alice Jonas' here but "
     "'Alice Jones' on row 2"),
    ("Great Care,Access,Review the access policy,Alice Jones,,alice.jones@example.nhs.uk",
     "framework.csv row 3, deliverable: duplicate deliverable"),
])
def test_bad_csv_rows_name_the_spreadsheet_row(tmp_path, row, expected):
    text = "\n".join([",".join(HEADER),
                      "Great Care,Access,Review the access policy,Alice Jones,Director,"
                      "alice.jones@example.nhs.uk", row]) + "\n"
    path = write(tmp_path, "framework.csv", text)
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    assert str(caught.value).startswith(expected)


def test_xlsx_with_a_title_row_above_the_header_keeps_sheet_row_numbers(engine, tmp_path):
    book = Workbook()
    book.active.append(["Strategy deliverables 2024/25"])
    book.active.append([])
    book.active.append(HEADER)
    book.active.append(["T", "A", "D", "Alice Jones", "", "alice@example.nhs.uk"])
    book.active.append(["T", "A", "E", "Bob Smith", "", "bob@example"])
    book.save(tmp_path / "plan.xlsx")
    with pytest.raises(FrameworkImportError, match=r"^plan.xlsx row 5, sro_email: 'bob@example'"):
        import_framework(None, tmp_path / "plan.xlsx")  # type: ignore[arg-type]

    book.active["F5"] = "bob@example.nhs.uk"
    book.save(tmp_path / "plan.xlsx")
    summary = run_import(engine, tmp_path / "plan.xlsx")
    assert summary.deliverables.created == 2
    with session_scope(engine) as s:  # no risks in a spreadsheet, so no risk-score period
        assert s.exec(select(PeriodRecord)).all() == []


def test_semicolon_separated_csv_gets_a_hint(tmp_path):
    path = write(tmp_path, "framework.csv", ";".join(HEADER) + "\nT;A;D;N;;n@example.nhs.uk\n")
    with pytest.raises(FrameworkImportError, match="save it as comma-separated CSV"):
        import_framework(None, path)  # type: ignore[arg-type]


def test_a_yaml_file_without_deliverables_is_refused(tmp_path):
    text = YAML_TEXT.split("themes:")[0] + "themes: []\n"
    path = write(tmp_path, "framework.yaml", text)
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(None, path)  # type: ignore[arg-type]
    assert str(caught.value) == (f"framework.yaml line {line_of(text, 'themes: []')}, themes: no "
                                 "deliverables: list them under each theme's 'deliverables'")


def test_bad_xlsx_row_names_the_sheet_row(tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["T", "A", "D", "Alice Jones", "", "alice@example.nhs.uk"])
    book.active.append(["T", "A", "E", "Bob Smith", "", ""])
    book.save(tmp_path / "plan.xlsx")
    with pytest.raises(FrameworkImportError, match=r"^plan.xlsx row 3, sro_email: missing sro "
                                                   r"email$"):
        import_framework(None, tmp_path / "plan.xlsx")  # type: ignore[arg-type]


def test_a_bad_import_leaves_the_database_unchanged(any_engine, tmp_path):
    run_import(any_engine, DATA / "framework.yaml")
    before = snapshot(any_engine)
    text = (YAML_TEXT.replace("Review the access policy", "Review the access policy again")
            .replace("sro: [bsmith, cdavies]", "sro: [bsmith, nobody]"))
    with pytest.raises(FrameworkImportError, match="unknown SRO id 'nobody'"):
        run_import(any_engine, write(tmp_path, "framework.yaml", text))
    assert snapshot(any_engine) == before


def test_bad_rules_and_calendar_are_refused_at_import(engine, tmp_path):
    from bot.framework.importer import FrameworkImportError, import_framework
    from storage.db import session_scope

    path = tmp_path / "framework.yaml"
    path.write_text(
        "name: Tiny\n"
        "rules:\n"
        "  no_such_rule: true\n"
        "  calendar:\n"
        "    deadline_working_days_after_quarter_end: -40\n"
        "people:\n"
        "  - {id: a, name: A Person, email: a@example.nhs.uk}\n"
        "themes:\n"
        "  - name: T\n"
        "    deliverables:\n"
        "      - {area: X, title: Do a thing, sro: a}\n",
        encoding="utf-8",
    )
    with pytest.raises(FrameworkImportError) as caught, session_scope(engine, write=True) as s:
        import_framework(s, path)
    message = str(caught.value)
    assert "framework.yaml line 3, rules: unknown rule(s) no_such_rule" in message
    assert "rules.calendar" in message


def test_names_that_only_differ_in_punctuation_are_told_to_use_ref(engine, tmp_path):
    from bot.framework.importer import FrameworkImportError, import_framework
    from storage.db import session_scope

    path = tmp_path / "framework.yaml"
    path.write_text(
        "name: Tiny\n"
        "people:\n"
        "  - {id: a, name: A Person, email: a@example.nhs.uk}\n"
        "themes:\n"
        "  - name: Care\n"
        "    deliverables:\n"
        "      - {area: Access, title: One thing, sro: a}\n"
        "      - {area: Access!, title: Another thing, sro: a}\n",
        encoding="utf-8",
    )
    with pytest.raises(FrameworkImportError, match="give one of these deliverables its own"
                       ) as caught, session_scope(engine, write=True) as s:
        import_framework(s, path)
    assert "'Care / Access!' and 'Care / Access'" in str(caught.value)
