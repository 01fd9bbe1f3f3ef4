"""The absence people write in a message: ``away 4–15 Aug, cover Sarah Willis`` and friends."""

from __future__ import annotations

from datetime import date

import pytest

from bot.collection.away_text import (
    AwayText,
    AwayTextError,
    ExtendText,
    is_away_message,
    is_extend_message,
    parse_away,
    parse_extend,
)

TODAY = date(2025, 7, 20)


@pytest.mark.parametrize(("text", "expected"), [
    ("away 4–15 Aug, cover Sarah Willis",
     AwayText(date(2025, 8, 4), date(2025, 8, 15), cover="Sarah Willis")),
    ("Away 4 Aug - 15 Aug 2026 covered by sarah.willis@example.nhs.uk",
     AwayText(date(2026, 8, 4), date(2026, 8, 15), cover="sarah.willis@example.nhs.uk")),
    ("away 23 Dec to 3 Jan, note Christmas",
     AwayText(date(2025, 12, 23), date(2026, 1, 3), note="Christmas")),
    ("away 4/8/2025 - 15/8/2025", AwayText(date(2025, 8, 4), date(2025, 8, 15))),
    ("away 2025-08-04 to 2025-08-15 cover swillis",
     AwayText(date(2025, 8, 4), date(2025, 8, 15), cover="swillis")),
    ("away 1st Sept", AwayText(date(2025, 9, 1), date(2025, 9, 1))),
    ("I'm away until 25 July", AwayText(date(2025, 7, 20), date(2025, 7, 25))),
    ("away 4-15 March", AwayText(date(2026, 3, 4), date(2026, 3, 15))),  # next March
    ("away 10–18 July", AwayText(date(2025, 7, 10), date(2025, 7, 18))),  # just passed
    ("away for Sharon Murphy 4–15 Aug, cover Sarah Willis, note Annual leave",
     AwayText(date(2025, 8, 4), date(2025, 8, 15), cover="Sarah Willis", note="Annual leave",
              person="Sharon Murphy")),
    ("away cancel", AwayText(cancel=True)),
    ("back", AwayText(cancel=True)),
])
def test_what_people_write(text, expected):
    assert is_away_message(text)
    assert parse_away(text, TODAY) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("away", "Say when"),
    ("away soon", "I could not read the dates 'soon'"),
    ("away 30 Feb - 2 Mar 2026", "30 Feb is not a date"),
    ("away 4–15 Agu", "'Agu' is not a month"),
    ("away 15/8/2025 - 4/8/2025", "ends before it starts"),
    ("away 1/1/2025 - 1/6/2026", "more than a year"),
])
def test_what_cannot_be_read_says_why(text, message):
    with pytest.raises(AwayTextError, match=message):
        parse_away(text, TODAY)


def test_other_messages_are_not_absences():
    assert not is_away_message("Green - on track")
    assert not is_away_message("takeaway menu")


@pytest.mark.parametrize(("text", "expected"), [
    ("extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025",
     ExtendText("Paul Sheldon", date(2025, 1, 24), "2024/25 Q3")),
    ("Extend psheldon until 24/1/2026", ExtendText("psheldon", date(2026, 1, 24))),
    ("extend GO-3 to 1 Aug", ExtendText("GO-3", date(2025, 8, 1))),
    ("extend Q3 2024/25 sharon.murphy@example.nhs.uk to 2025-01-31",
     ExtendText("sharon.murphy@example.nhs.uk", date(2025, 1, 31), "Q3 2024/25")),
])
def test_extensions_people_write(text, expected):
    assert is_extend_message(text)
    assert parse_extend(text, TODAY) == expected


def test_an_extension_that_cannot_be_read_says_how():
    with pytest.raises(AwayTextError, match="extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025"):
        parse_extend("extend Paul", TODAY)
    with pytest.raises(AwayTextError, match="could not read the date 'soonish'"):
        parse_extend("extend Paul to soonish", TODAY)
