"""The paper's title from a framework's ``cover: title:``, filled in for each quarter.

A framework file's title is written once and titles every quarter's paper, so it says where
the quarter goes: ``Step Up To Great – Quarter {quarter} progress {year}`` becomes "Step Up To
Great – Quarter 2 progress 2024/25". ``{period}`` is "2024/25 Q2". A title that names no
quarter would give every quarter's paper the same title, so the importer refuses it, saying so.
"""

from __future__ import annotations

from string import Formatter

FIELDS = ("quarter", "year", "period")
EXAMPLE = "Step Up To Great – Quarter {quarter} progress {year}"


def title_problem(title: str) -> str | None:
    """Why ``title`` cannot title each quarter's paper, else None."""
    try:
        named = {field for _text, field, _spec, _conv in Formatter().parse(title)
                 if field is not None}
    except ValueError as error:
        return f"cannot be read ({error}); write {{{{ and }}}} for a literal brace"
    unknown = sorted(named - set(FIELDS))
    if unknown:
        return (f"has {', '.join('{' + name + '}' for name in unknown)}, which is not one of "
                f"{', '.join('{' + name + '}' for name in FIELDS)}")
    if "period" not in named and not {"quarter", "year"} <= named:
        return ("would title every quarter's paper alike: write {period}, or {quarter} and "
                f"{{year}}, where the quarter goes, e.g. '{EXAMPLE}'")
    return None


def paper_title(title: str, *, quarter: int, year: str, period: str) -> str:
    """``title`` for one quarter (``title_problem`` has accepted it)."""
    return title.format(quarter=quarter, year=year, period=period)
