from datetime import date

import pytest

from bot.calendar.periods import Period, PeriodError, parse_financial_year, quarters_of_year


@pytest.mark.parametrize("text", ["2024/25 Q2", "2024-25-Q2", "Q2 2024/25", " q2  2024/25 ",
                                  "2024/2025 Q2", "2024-25 Q2"])
def test_accepted_forms_parse_to_the_same_period(text):
    assert Period.parse(text) == Period(2024, 2)


@pytest.mark.parametrize("text", ["", "Q5 2024/25", "2024/26 Q2", "2024 Q2", "Q2", "banana",
                                  "2024/25 Q0", "2024/25"])
def test_bad_periods_get_a_clear_error(text):
    with pytest.raises(PeriodError, match=r"2024/25 Q2|financial year|quarter"):
        Period.parse(text)


@pytest.mark.parametrize(("period", "start", "end"), [
    (Period(2024, 1), date(2024, 4, 1), date(2024, 6, 30)),
    (Period(2024, 2), date(2024, 7, 1), date(2024, 9, 30)),
    (Period(2024, 3), date(2024, 10, 1), date(2024, 12, 31)),
    (Period(2024, 4), date(2025, 1, 1), date(2025, 3, 31)),
])
def test_quarters_follow_the_nhs_financial_year(period, start, end):
    assert (period.start, period.end) == (start, end)
    assert Period.containing(start) == period
    assert Period.containing(end) == period


def test_previous_and_next_cross_the_year_boundary():
    assert Period(2024, 1).previous() == Period(2023, 4)
    assert Period(2023, 4).next() == Period(2024, 1)
    assert Period.containing(date(2025, 3, 31)) == Period(2024, 4)
    assert Period.containing(date(2025, 4, 1)) == Period(2025, 1)


def test_labels():
    p = Period(2024, 2)
    assert (p.label, p.slug, p.fy_label, str(p)) == ("2024/25 Q2", "2024-25-Q2", "2024/25",
                                                      "2024/25 Q2")
    assert Period(1999, 4).label == "1999/00 Q4"
    assert parse_financial_year("2024/25") == 2024
    assert [q.quarter for q in quarters_of_year(2024)] == [1, 2, 3, 4]
