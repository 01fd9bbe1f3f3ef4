"""Problems found in a framework file, collected and reported together."""

from __future__ import annotations

from dataclasses import dataclass

MAX_REPORTED = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, e.g. ``framework.yaml line 42, deliverables[3].sro: …``."""

    file: str
    where: str  # "line 42", "row 5" or ""
    field: str  # "themes[0].deliverables[3].sro", "sro_email" or ""
    message: str

    def __str__(self) -> str:
        place = " ".join(part for part in (self.file, self.where) if part)
        if self.field:
            place = f"{place}, {self.field}"
        return f"{place}: {self.message}"


class FrameworkImportError(ValueError):
    """A framework file that cannot be imported; nothing was written.

    ``problems`` holds every problem found; the message lists the first ``MAX_REPORTED``.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(_message(self.problems))


def _message(problems: list[Problem]) -> str:
    if len(problems) == 1:
        return str(problems[0])
    lines = [f"{problems[0].file}: {len(problems)} problems, nothing was imported"]
    lines += [f"  {problem}" for problem in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        lines.append(f"  … and {len(problems) - MAX_REPORTED} more")
    return "\n".join(lines)


class Problems:
    """Collects problems for one file; ``raise_if_any`` ends the import before any write."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, where: str, field: str, message: str) -> None:
        self.items.append(Problem(self.file, where, field, message))

    def fail(self, where: str, field: str, message: str) -> FrameworkImportError:
        """An error for a problem that stops reading the file at once."""
        self.add(where, field, message)
        return FrameworkImportError(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise FrameworkImportError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
