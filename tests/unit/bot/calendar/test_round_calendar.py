"""The round calendar: dates a governance team would expect, always on English working days."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.calendar.periods import Period, quarters_of_year
from bot.calendar.round_calendar import (
    DEFAULT_CALENDAR,
    CalendarError,
    RoundCalendar,
    default_deadline,
)
from bot.calendar.workdays import is_working_day

# (period, prompts open, reminders, deadline, escalation) under the default calendar.
EXPECTED = [
    ("2024/25 Q1", date(2024, 6, 24), [date(2024, 7, 5), date(2024, 7, 10), date(2024, 7, 12)],
     date(2024, 7, 12), date(2024, 7, 15)),
    ("2024/25 Q2", date(2024, 9, 23), [date(2024, 10, 7), date(2024, 10, 10), date(2024, 10, 14)],
     date(2024, 10, 14), date(2024, 10, 15)),
    # Christmas Day, Boxing Day and New Year's Day are skipped.
    ("2024/25 Q3", date(2024, 12, 20), [date(2025, 1, 8), date(2025, 1, 13), date(2025, 1, 15)],
     date(2025, 1, 15), date(2025, 1, 16)),
    ("2024/25 Q4", date(2025, 3, 24), [date(2025, 4, 7), date(2025, 4, 10), date(2025, 4, 14)],
     date(2025, 4, 14), date(2025, 4, 15)),
    ("2025/26 Q1", date(2025, 6, 23), [date(2025, 7, 7), date(2025, 7, 10), date(2025, 7, 14)],
     date(2025, 7, 14), date(2025, 7, 15)),
    ("2025/26 Q2", date(2025, 9, 23), [date(2025, 10, 7), date(2025, 10, 10), date(2025, 10, 14)],
     date(2025, 10, 14), date(2025, 10, 15)),
    ("2025/26 Q3", date(2025, 12, 22), [date(2026, 1, 8), date(2026, 1, 13), date(2026, 1, 15)],
     date(2026, 1, 15), date(2026, 1, 16)),
    # Good Friday 3 April and Easter Monday 6 April 2026 are skipped.
    ("2025/26 Q4", date(2026, 3, 24), [date(2026, 4, 9), date(2026, 4, 14), date(2026, 4, 16)],
     date(2026, 4, 16), date(2026, 4, 17)),
]


@pytest.mark.parametrize(("label", "opens", "reminders", "deadline", "escalation"), EXPECTED)
def test_default_plan_dates(label, opens, reminders, deadline, escalation) -> None:
    period = Period.parse(label)
    plan = {step.job: step.run_at for step in DEFAULT_CALENDAR.plan(period)}

    assert plan["open_round"].date() == opens
    assert [plan[f"remind:{stage}"].date() for stage in
            ("5-days-before", "2-days-before", "deadline-day")] == reminders
    assert plan["compile"].date() == deadline == default_deadline(period)
    assert plan["escalate"].date() == escalation


@pytest.mark.parametrize("period", quarters_of_year(2024) + quarters_of_year(2025), ids=str)
def test_every_step_is_on_a_working_day_at_london_wall_clock_time(period: Period) -> None:
    plan = DEFAULT_CALENDAR.plan(period)

    assert [step.run_at for step in plan] == sorted(step.run_at for step in plan)
    for step in plan:
        assert is_working_day(step.run_at.date()), step
        assert str(step.run_at.tzinfo) == "Europe/London"
        assert step.run_at.time() == (time(17) if step.job == "compile" else time(9))
        assert step.id == f"{step.job}:{period.slug}"


def test_british_summer_time_is_followed() -> None:
    summer = DEFAULT_CALENDAR.plan(Period.parse("2024/25 Q2"))[0].run_at
    winter = DEFAULT_CALENDAR.plan(Period.parse("2024/25 Q3"))[0].run_at
    assert summer.utcoffset().total_seconds() == 3600
    assert winter.utcoffset().total_seconds() == 0


def test_easter_2025_is_skipped_by_a_longer_round() -> None:
    calendar = RoundCalendar.from_rules({"deadline_after_quarter_end": 15})
    plan = {step.job: step.run_at.date() for step in calendar.plan(Period.parse("2024/25 Q4"))}

    # Good Friday 18 April and Easter Monday 21 April 2025 are not working days.
    assert plan["compile"] == date(2025, 4, 23)
    assert plan["remind:2-days-before"] == date(2025, 4, 17)
    assert plan["remind:deadline-day"] == date(2025, 4, 23)
    assert plan["escalate"] == date(2025, 4, 24)


def test_rules_change_the_calendar() -> None:
    calendar = RoundCalendar.from_rules({
        "open_before_quarter_end": 3,
        "deadline_after_quarter_end": 8,
        "reminders_before_deadline": [0, 3],
        "escalate_after_deadline": 2,
        "prompt_time": "08:30",
        "compile_time": "16:00",
    }, timezone="Europe/London")
    plan = calendar.plan(Period.parse("2024/25 Q2"))

    assert [(step.job, step.run_at.strftime("%a %d %b %H:%M")) for step in plan] == [
        ("open_round", "Wed 25 Sep 08:30"),
        ("remind:3-days-before", "Mon 07 Oct 08:30"),
        ("remind:deadline-day", "Thu 10 Oct 08:30"),
        ("compile", "Thu 10 Oct 16:00"),
        ("escalate", "Mon 14 Oct 08:30"),
    ]


def test_missing_rules_keep_the_defaults() -> None:
    assert RoundCalendar.from_rules({}) == DEFAULT_CALENDAR
    assert RoundCalendar.from_rules(None) == DEFAULT_CALENDAR


@pytest.mark.parametrize(("rules", "message"), [
    ({"prompt_time": 540}, "calendar.prompt_time: write the time in quotes as 'HH:MM'"),
    ({"compile_time": "25:00"}, "calendar.compile_time: '25:00' is not a time"),
    ({"deadline": 10}, "calendar.deadline: is not a calendar rule (known rules: "
                       "open_before_quarter_end"),
    ({"open_before_quarter_end": -1}, "calendar.open_before_quarter_end: Input should be greater"),
    ({"reminders_before_deadline": [2, 2]}, "lists the same day twice"),
    ({"reminders_before_deadline": "soon"}, "must be a list of whole numbers"),
    ({"reminders_before_deadline": [20]}, "would fall before the round opens"),
    ({"escalate_after_deadline": 0}, "calendar.escalate_after_deadline"),
    ({"timezone": "Europe/Paris"}, "set RAGTIME_TIMEZONE"),
])
def test_bad_rules_are_named(rules, message) -> None:
    with pytest.raises(CalendarError) as error:
        RoundCalendar.from_rules(rules)
    assert message in str(error.value)


def test_unknown_time_zone_is_named() -> None:
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        RoundCalendar.from_rules({}, timezone="Mars/Olympus")
