from datetime import date

from bot.calendar.workdays import (
    add_working_days,
    is_bank_holiday,
    is_working_day,
    working_days_between,
)


def test_weekends_and_bank_holidays_are_not_working_days():
    assert not is_working_day(date(2024, 9, 28))  # Saturday
    assert not is_working_day(date(2024, 8, 26))  # Summer bank holiday (England)
    assert is_working_day(date(2024, 8, 27))


def test_easter_2025_good_friday_and_easter_monday_skipped():
    assert is_bank_holiday(date(2025, 4, 18)) and is_bank_holiday(date(2025, 4, 21))
    # Thursday 17 April + 1 working day skips Good Friday, the weekend and Easter Monday.
    assert add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)


def test_christmas_and_new_year_across_the_calendar_year():
    # Christmas Eve 2024 (Tue) + 1 → Friday 27th (25th, 26th are bank holidays)
    assert add_working_days(date(2024, 12, 24), 1) == date(2024, 12, 27)
    # 31 Dec 2024 + 1 skips New Year's Day
    assert add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)
    assert add_working_days(date(2025, 1, 2), -1) == date(2024, 12, 31)


def test_zero_rolls_forward_to_a_working_day():
    assert add_working_days(date(2024, 12, 25), 0) == date(2024, 12, 27)
    assert add_working_days(date(2024, 12, 27), 0) == date(2024, 12, 27)


def test_working_days_between_counts_steps():
    assert working_days_between(date(2024, 12, 24), date(2024, 12, 27)) == 1
    assert working_days_between(date(2024, 12, 27), date(2024, 12, 24)) == -1


def test_scotland_only_holidays_do_not_count():
    assert is_working_day(date(2024, 1, 2))  # 2 January is a bank holiday in Scotland only
