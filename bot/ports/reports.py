"""The values a governance channel is handed (``bot.ports.ReportChannel``): what a report is
about (``Target``), the compiled report as stored (``ReportRecord``), its summary as posted
(``PostedMessage``) and what happened to it last (``StatusNote``).

They sit beside the ports, below ``bot.reports``, which builds and stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.calendar.periods import Period
from storage.models import ReportStatus


@dataclass(frozen=True)
class Target:
    """What to compile: one quarter, or (``fy`` set) the year-end closure report."""

    period: Period | None = None
    fy: int | None = None

    def __post_init__(self) -> None:
        if (self.period is None) == (self.fy is None):
            raise ValueError("a report target is either a period or a financial year")

    @classmethod
    def quarter(cls, period: Period) -> Target:
        return cls(period=period)

    @classmethod
    def year_end(cls, fy: int) -> Target:
        return cls(fy=fy)

    @property
    def closure(self) -> bool:
        return self.fy is not None

    @property
    def kind(self) -> str:
        return "closure" if self.closure else "quarter"

    @property
    def label(self) -> str:
        if self.period is not None:
            return self.period.label
        assert self.fy is not None
        return f"{Period(self.fy, 1).fy_label} closure"

    @property
    def key(self) -> str:
        """One id-safe word per target (``2024-25-Q2``, ``2024-25-closure``)."""
        if self.period is not None:
            return self.period.slug
        return f"{self.fy}-{((self.fy or 0) + 1) % 100:02d}-closure"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class ReportRecord:
    """A compiled report as plain values."""

    id: int
    framework_id: int
    target: Target
    content_hash: str
    compiled_at: datetime
    compiled_by: str
    status: ReportStatus
    decided_by: str | None
    decided_at: datetime | None
    channel: str | None
    ts: str | None
    cover: Mapping[str, Any] | None = None  # the cover values given when it was compiled
    # The chat channel it is posted on (``slack``, ``teams``: where it was asked for); None
    # before Teams, when there was one: this deployment's (``report_channel_of``).
    via: str | None = None

    @property
    def posted(self) -> bool:
        return bool(self.channel and self.ts)


@dataclass(frozen=True)
class PostedMessage:
    """A report's summary as a channel posted it: where, and what it said (to redraw it)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    via: str = ""  # the chat channel that posted it (``slack``, ``teams``)


@dataclass(frozen=True)
class DeliverableChoice:
    """A deliverable a lead can send back to its SROs."""

    id: int
    theme: str
    number: str
    title: str
    sros: tuple[str, ...]  # names
    rag: str | None  # the latest rating in the period, None while outstanding


@dataclass(frozen=True)
class StatusNote:
    """What happened last to a posted report: shown on its summary and noted in its thread.

    ``kind``: draft | approved | changes_requested | reopened | superseded | upload_failed.
    A request for changes also says what was asked (``comment``, ``deliverables``) and how the
    re-prompts went; a failed upload gives its reason as ``comment``."""

    kind: str
    by: str | None = None
    at: datetime | None = None
    comment: str | None = None
    deliverables: tuple[DeliverableChoice, ...] = ()
    queued: int = 0  # re-prompts recorded
    unreachable: tuple[str, ...] = ()  # SROs without a chat account: not re-prompted
    undelivered: int = 0  # re-prompts not sent yet (they stay in the outbox)
    delivery_errors: tuple[str, ...] = ()
