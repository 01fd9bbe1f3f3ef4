"""Load or update a framework from YAML, CSV or XLSX (``ragtime import FILE``).

Call ``import_framework(session, path)`` inside ``session_scope(engine, write=True)``. The
whole file is read and checked first; any problem raises ``FrameworkImportError`` naming the
file, the line (YAML) or spreadsheet row (header = row 1) and the field, and nothing is written.
A good file is written in the caller's transaction, with one ``framework.import`` audit event.

YAML (the full form, see DESIGN.md)::

    name: Step Up To Great                # optional: else the existing framework, else the stem
    organisation: Leicestershire Partnership NHS Trust
    period: 2024/25 Q2                    # optional (or as_of:): the quarter the risk scores
                                          #   are for; default the quarter being reported: the
                                          #   open round's, else the one before today's
    rules: {...}                          # optional: governance rules (Framework.rules)
    baf:                                  # optional: scoring bands and appetite limits
      bands: {low: 1-3, moderate: 4-6, high: 8-12, extreme: 15-25}   # (bot.framework.baf)
      appetite: {averse: 3, minimal: 6, cautious: 12, open: 16}
    cover:                                # optional: board-paper cover (Framework.cover), e.g.
      title: ...                          #   title, meeting, sponsor, author, purpose,
      meeting: Public Trust Board         #   decision_required, strategic_alignment (list),
                                          #   baf_considered (list of risk numbers), ...
    people:
      - id: smurphy                       # the id deliverables use; Person.key
        name: Sharon Murphy
        title: Director of Finance
        email: sharon.murphy@example.nhs.uk
        slack_id: U0ABC123                # optional; otherwise found by email
    themes:
      - name: Great Outcomes
        ambition: ...
        objectives: [...]                 # a list (or one text)
        risks:
          - number: "01"                  # kept as written
            title: ...
            score: 20                     # whole number 1–25
            direction: static             # up | down | static, optional
            owner: smurphy                # optional: a person id or a list (owners:)
            lead_committee: Finance and Performance Committee   # optional, and so are:
            cause: ...                    #   cause, event, impact (text),
            appetite: cautious            #   averse | minimal | cautious | open,
            target: 12                    #   target score (likelihood × consequence)
            target_date: 2025-03-31       #   and the date it should be reached by
        deliverables:
          - ref: go-access-1              # optional stable identity (see below)
            number: "1"                   # optional; default its place within the area
            area: Access
            title: Review, update, revise and implement Trust Access Policy
            sro: smurphy                  # a person id, or a list of ids for joint SROs
            delegates: [jbloggs]          # optional; when given, replaces the delegates

Unknown keys are reported (they are usually typos). ``rules``, ``cover`` and ``organisation``
are left as stored when the file does not give them; delegates likewise.

CSV and XLSX carry deliverable rows only, with the columns ``theme, area, deliverable,
sro_name, sro_title, sro_email`` and optionally ``ref, number, sro_slack_id`` (headers match
whatever their case, spacing or byte-order mark; other columns are ignored). Joint SROs are
separated by ``;`` in each ``sro_`` column. Rows import into ``framework_name`` (``ragtime
import FILE --name NAME``), else the only existing framework, else a new one named after the
file. People are matched by email (a new person's id is taken from the email).

BAF risks in a spreadsheet: a CSV whose header names ``risk_number`` (or an XLSX sheet named
``Risks``/``BAF`` beside the deliverables) carries risk rows: ``theme, risk_number, risk_title,
score`` and optionally owners (``owner_name, owner_title, owner_email``…), ``lead_committee,
cause, event, impact, appetite, target, target_date`` (``bot.framework.importer.risk_rows``).
A sheet of risks alone leaves the stored deliverables as they are. Details and owners a file
does not give are left as stored, so today's files (number, title, score) import as before.

References: every deliverable has a reference unique in its framework, shown in the paper,
Slack and exports (``GO-3``: the theme's initials and the deliverable's place in its theme when
first imported, kept from then on; see ``bot.framework.codes``). A ``ref`` in the file (YAML
key or spreadsheet column) written as a reference (``GO-3``) is used as the reference instead,
and naming a deliverable by the reference it is shown with (an export's ``ref`` column) keeps
it the same deliverable.

BAF risk scores are kept per quarter: each import writes the file's scores for its ``period``;
the paper for a quarter shows each risk's latest score at or before that quarter (labelled
"as at" an older quarter) and, when the file gives no ``direction``, the direction against the
previous recorded score.

Identity and history: a deliverable is the same one across imports when its ``ref`` is the same;
without a ``ref`` its identity is theme + area + its place within the area, so changed titles or
SROs update it in place (give ``ref`` if you reorder rows). Deliverables missing from the file
are marked inactive, never deleted, and keep their updates; an import that would do that to
deliverables of a framework with a round open, or to more than a few (``apply.FEW``), is
refused unless ``replace`` (``ragtime import --replace``). Themes are matched by name, BAF
risks by number; people by id (YAML) or email. Themes and risks missing from a file are kept
as they are (their risk scores stay with their periods).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.framework.importer.apply import Counts, ImportSummary, apply_spec
from bot.framework.importer.errors import MAX_REPORTED, FrameworkImportError, Problem, Problems
from bot.framework.importer.spec import FrameworkSpec, derived_ref
from bot.framework.importer.table_form import read_csv, read_xlsx
from bot.framework.importer.yaml_form import read_yaml
from storage.db import session_scope

__all__ = [
    "MAX_REPORTED",
    "Counts",
    "FrameworkImportError",
    "ImportSummary",
    "Problem",
    "derived_ref",
    "import_file",
    "import_framework",
    "read_framework",
]

READERS = {".yaml": read_yaml, ".yml": read_yaml, ".csv": read_csv, ".xlsx": read_xlsx}
LONDON = ZoneInfo("Europe/London")


def read_framework(path: Path) -> FrameworkSpec:
    """Read and check a framework file without touching storage."""
    path = Path(path)
    problems = Problems(path.name)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise problems.fail("", "", f"unknown file type '{path.suffix or '(none)'}'; "
                                    f"use {', '.join(READERS)}")
    spec = reader(path, problems)
    problems.raise_if_any()
    return spec


def import_file(engine: Engine, path: Path, *, framework_name: str | None = None,
                actor: str = "import", spec: FrameworkSpec | None = None,
                replace: bool = False, dry_run: bool = False) -> ImportSummary:
    """``ragtime import``: read and check ``path`` first (unless ``spec`` is what
    ``read_framework(path)`` already returned), then apply it in one write transaction (all or
    nothing). ``dry_run``: the same, rolled back, and never refused for want of ``replace``
    (``summary.replace_needed`` says whether it would be)."""
    with session_scope(engine, write=True) as session:
        summary = import_framework(session, path, framework_name=framework_name, actor=actor,
                                   spec=spec, replace=replace or dry_run)
        if dry_run:
            session.rollback()
        return summary


def import_framework(
    session: Session, path: Path, *, framework_name: str | None = None, actor: str = "import",
    today: date | None = None, audit_unchanged: bool = True, spec: FrameworkSpec | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Create or update a framework from ``path``; raises ``FrameworkImportError`` first if the
    file has any problem. ``today`` (default: today in Europe/London) picks the risk-score
    period when the file names none. An import that changed nothing is audited unless
    ``audit_unchanged`` is False. Without ``replace``, an import that would take deliverables
    out of an open round, or more than a few, is refused (``apply.FEW``)."""
    path = Path(path)
    spec = spec or read_framework(path)
    return apply_spec(
        session, spec, file=path.name, stem=path.stem, framework_name=framework_name,
        today=today or datetime.now(LONDON).date(), actor=actor, audit_unchanged=audit_unchanged,
        replace=replace,
    )
