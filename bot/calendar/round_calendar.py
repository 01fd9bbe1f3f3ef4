"""The round calendar: when a period's prompts, reminders, escalation and draft report happen.

Defaults, as a trust's governance team would run a quarter (all counts are *working days in
England*: weekends and bank holidays are skipped, see ``bot.calendar.workdays``):

=====================  ==============================================================  =====
job                    when                                                            time
=====================  ==============================================================  =====
``open_round``         5 working days before the quarter ends: every SRO is prompted   09:00
``remind:<stage>``     5 and 2 working days before the deadline, and on the deadline   09:00
                       day — only SROs still outstanding are reminded
``compile``            the deadline (10 working days after the quarter ends), at the   17:00
                       end of the day: the draft report is compiled and posted to the
                       governance channel
``escalate``           1 working day after the deadline: the governance channel gets   09:00
                       the list of SROs still outstanding
=====================  ==============================================================  =====

Times are wall-clock times in ``RAGTIME_TIMEZONE`` (default ``Europe/London``, so they follow
BST/GMT). A framework may change any of this in its rules file::

    calendar:
      open_before_quarter_end: 5       # working days
      deadline_after_quarter_end: 10   # working days
      reminders_before_deadline: [5, 2, 0]
      escalate_after_deadline: 1       # working days
      prompt_time: "09:00"             # prompts, reminders and escalation
      compile_time: "17:00"            # draft report on the deadline day

For 2024/25 Q2 (July–September 2024) the defaults give: prompts Mon 23 Sep, deadline
Mon 14 Oct, reminders 7, 10 and 14 Oct, draft report 14 Oct 17:00, escalation Tue 15 Oct.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.calendar.periods import Period
from bot.calendar.workdays import add_working_days

DEFAULT_TIMEZONE = "Europe/London"


class CalendarError(ValueError):
    """A ``calendar`` rule that cannot be used; the message names the rule."""


@dataclass(frozen=True)
class PlannedJob:
    """One scheduled step of a period's round."""

    job: str  # open_round | remind:<stage> | compile | escalate
    period: Period
    run_at: datetime  # aware, in the calendar's time zone

    @property
    def id(self) -> str:
        """Stable id: the same step of the same period is always the same job."""
        return f"{self.job}:{self.period.slug}"

    @property
    def kind(self) -> str:
        return self.job.split(":", 1)[0]

    @property
    def description(self) -> str:
        return describe(self.job)


def reminder_stage(days_before_deadline: int) -> str:
    """``5`` → ``5-days-before``; ``0`` → ``deadline-day``."""
    if days_before_deadline == 0:
        return "deadline-day"
    unit = "day" if days_before_deadline == 1 else "days"
    return f"{days_before_deadline}-{unit}-before"


def describe(job: str) -> str:
    kind, _, stage = job.partition(":")
    if kind == "remind":
        if stage == "deadline-day":
            return "remind outstanding SROs (deadline day)"
        days = stage.split("-", 1)[0]
        unit = "day" if days == "1" else "days"
        return f"remind outstanding SROs ({days} working {unit} before the deadline)"
    return {
        "open_round": "open the round: prompt every SRO",
        "compile": "post the draft report to the governance channel",
        "escalate": "tell the governance channel who is outstanding",
    }.get(kind, job)


class RoundCalendar(BaseModel):
    """When each step of a round happens; see the module docstring for the rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    open_before_quarter_end: int = Field(default=5, ge=0, le=40)
    deadline_after_quarter_end: int = Field(default=10, ge=1, le=60)
    reminders_before_deadline: tuple[int, ...] = (5, 2, 0)
    escalate_after_deadline: int = Field(default=1, ge=1, le=20)
    prompt_time: time = time(9, 0)
    compile_time: time = time(17, 0)
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("prompt_time", "compile_time", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, time):
            return value
        if not isinstance(value, str):
            # YAML reads an unquoted 9:00 as the number 540.
            raise ValueError(f"write the time in quotes as 'HH:MM', e.g. '09:00' (got {value!r})")
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            message = f"'{value}' is not a time; write it as 'HH:MM', e.g. '09:00'"
            raise ValueError(message) from None

    @field_validator("reminders_before_deadline", mode="before")
    @classmethod
    def _reminders(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = [value]
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise ValueError("must be a list of whole numbers of working days, e.g. [5, 2, 0]")
        if any(item < 0 for item in value):
            raise ValueError("working days before the deadline cannot be negative")
        if len(set(value)) != len(value):
            raise ValueError(f"lists the same day twice: {list(value)}")
        return tuple(sorted(value, reverse=True))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @model_validator(mode="after")
    def _reminders_inside_round(self) -> RoundCalendar:
        window = self.open_before_quarter_end + self.deadline_after_quarter_end
        too_early = [days for days in self.reminders_before_deadline if days >= window]
        if too_early:
            raise ValueError(
                f"reminders_before_deadline {too_early} would fall before the round opens "
                f"({window} working days before the deadline)"
            )
        return self

    @classmethod
    def from_rules(
        cls, rules: dict[str, Any] | None, *, timezone: str = DEFAULT_TIMEZONE
    ) -> RoundCalendar:
        """The calendar from a framework's ``rules["calendar"]``; missing keys keep defaults."""
        rules = dict(rules or {})
        if "timezone" in rules:
            raise CalendarError(
                "calendar.timezone: the time zone is a setting, not a rule; set RAGTIME_TIMEZONE"
            )
        try:
            return cls(**rules, timezone=timezone)
        except ValidationError as error:
            raise CalendarError(_explain(error)) from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def opens(self, period: Period) -> date:
        return add_working_days(period.end, -self.open_before_quarter_end)

    def deadline(self, period: Period) -> date:
        return add_working_days(period.end, self.deadline_after_quarter_end)

    def plan(self, period: Period) -> list[PlannedJob]:
        """Every step of the period's round, in time order."""
        deadline = self.deadline(period)
        steps = [PlannedJob("open_round", period, self._at(self.opens(period), self.prompt_time))]
        steps += [
            PlannedJob(
                f"remind:{reminder_stage(days)}", period,
                self._at(add_working_days(deadline, -days), self.prompt_time),
            )
            for days in self.reminders_before_deadline
        ]
        steps.append(PlannedJob("compile", period, self._at(deadline, self.compile_time)))
        escalation = add_working_days(deadline, self.escalate_after_deadline)
        steps.append(PlannedJob("escalate", period, self._at(escalation, self.prompt_time)))
        return sorted(steps, key=lambda step: step.run_at)

    def superseded_by(self, period: Period, job: str, now: datetime) -> str | None:
        """The later reminder or escalation of ``period`` that is already due at ``now`` (after
        downtime, say): then ``job`` would only repeat it. ``None`` when nothing supersedes it."""
        steps = self.plan(period)
        mine = next((step for step in steps if step.job == job), None)
        if mine is None:
            return None
        for step in steps:
            if (step.run_at > mine.run_at and step.kind in ("remind", "escalate")
                    and step.run_at <= now):
                return step.job
        return None

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)


def _explain(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in ("calendar", *item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            allowed = ", ".join(name for name in RoundCalendar.model_fields if name != "timezone")
            message = f"is not a calendar rule (known rules: {allowed})"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)


DEFAULT_CALENDAR = RoundCalendar()


def default_deadline(period: Period) -> date:
    """The submission deadline of ``period`` under the default calendar."""
    return DEFAULT_CALENDAR.deadline(period)
