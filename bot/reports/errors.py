"""Why a report cannot be compiled, posted or decided: ``str(error)`` is for the user.

Every entry point (``/compile-report``, the decision buttons, ``ragtime compile --post``, the
scheduler) shows these as they are, so each message says what to do next.
"""

from __future__ import annotations


class PublishError(Exception):
    """A report cannot be compiled, posted or decided; ``str(error)`` tells the user why."""


class NothingToReport(PublishError):
    """The period (or year) has no updates and no round: there is nothing to put in a report."""


class ReportNotFound(PublishError):
    pass


class InvalidRequest(PublishError):
    """A request for changes that is missing something; ``field`` names what."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field  # "comment" | "deliverables"


class ReportSuperseded(PublishError):
    """A newer draft of the same report was posted; decisions are taken on that one."""


class ReportOutOfDate(PublishError):
    """The updates changed after the draft was compiled; it must be compiled again."""


class ReportDecided(PublishError):
    """The draft was already approved (reopen it first) or cannot take this decision."""
