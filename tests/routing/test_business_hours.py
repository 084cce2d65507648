"""Business-hours maths: nights, weekends, holidays, year ends, DST both ways, timezones, properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.business_hours import (
    BusinessHours,
    add_business_time,
    business_minutes_between,
    end_of_business_day,
    is_business_time,
    with_timezone,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)

OFFICE = BusinessHours()  # Mon–Fri 09:00–17:00 UTC
US = BusinessHours("America/New_York", holidays=("US",))
US_CA = BusinessHours("America/Los_Angeles", holidays=("US-CA",))
BERLIN_DE = BusinessHours("Europe/Berlin", holidays=("DE",))
LONDON_GB_DE = BusinessHours("Europe/London", holidays=("GB", "DE"))
NY_EVERY_DAY = BusinessHours("America/New_York", weekdays=EVERY_DAY)
BERLIN_EVERY_DAY = BusinessHours("Europe/Berlin", weekdays=EVERY_DAY)
NY_NIGHT_DESK = BusinessHours("America/New_York", weekdays=EVERY_DAY, opens=time(0), closes=time(6))
NY_OVERNIGHT = BusinessHours("America/New_York", weekdays=(0, 1, 2, 3, 4), opens=time(22), closes=time(6))
KOLKATA = BusinessHours("Asia/Kolkata")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NY)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


# 2026-01-05 is a Monday; 2026-01-10 a Saturday.
ADD_CASES = [
    ("within a day", utc(2026, 1, 6, 10), 30, OFFICE, utc(2026, 1, 6, 10, 30)),
    ("fractional minutes", utc(2026, 1, 6, 10), 11.25, OFFICE, utc(2026, 1, 6, 10, 11, 15)),
    ("up to the close exactly", utc(2026, 1, 6, 9), 480, OFFICE, utc(2026, 1, 6, 17)),
    ("one past a full day", utc(2026, 1, 6, 9), 481, OFFICE, utc(2026, 1, 7, 9, 1)),
    ("across a night", utc(2026, 1, 6, 16, 50), 15, OFFICE, utc(2026, 1, 7, 9, 5)),
    ("across a weekend", utc(2026, 1, 9, 16, 55), 15, OFFICE, utc(2026, 1, 12, 9, 10)),
    ("start before opening", utc(2026, 1, 6, 7), 15, OFFICE, utc(2026, 1, 6, 9, 15)),
    ("start after closing", utc(2026, 1, 6, 18), 15, OFFICE, utc(2026, 1, 7, 9, 15)),
    ("start on Saturday", utc(2026, 1, 10, 12), 15, OFFICE, utc(2026, 1, 12, 9, 15)),
    ("zero inside hours", utc(2026, 1, 6, 10), 0, OFFICE, utc(2026, 1, 6, 10)),
    ("zero on Saturday", utc(2026, 1, 10, 12), 0, OFFICE, utc(2026, 1, 12, 9)),
    ("zero at the close", utc(2026, 1, 6, 17), 0, OFFICE, utc(2026, 1, 7, 9)),
    ("zero at the opening", utc(2026, 1, 6, 9), 0, OFFICE, utc(2026, 1, 6, 9)),
    ("three weeks", utc(2026, 1, 5, 9), 15 * 480, OFFICE, utc(2026, 1, 23, 17)),
    ("three weeks and a minute", utc(2026, 1, 5, 9), 15 * 480 + 1, OFFICE, utc(2026, 1, 26, 9, 1)),
    ("ten weeks", utc(2026, 1, 5, 9), 50 * 480, OFFICE, utc(2026, 3, 13, 17)),
    ("a start in another timezone", datetime(2026, 1, 6, 18, tzinfo=ZoneInfo("Asia/Tokyo")), 30, OFFICE,
     utc(2026, 1, 6, 9, 30)),
    ("half-hour offset timezone", utc(2026, 1, 6, 3), 60, KOLKATA, utc(2026, 1, 6, 4, 30)),
    ("US Thanksgiving", ny(2026, 11, 25, 16, 30), 60, US, ny(2026, 11, 27, 9, 30)),
    ("US Christmas on a Friday", ny(2026, 12, 24, 16), 120, US, ny(2026, 12, 28, 10)),
    ("New Year across the year end", ny(2026, 12, 31, 16, 30), 60, US, ny(2027, 1, 4, 9, 30)),
    ("New Year observed on 2027-12-31", ny(2027, 12, 30, 16, 30), 60, US, ny(2028, 1, 3, 9, 30)),
    ("MLK day", ny(2026, 1, 16, 16), 120, US, ny(2026, 1, 20, 10)),
    ("US-CA day after Thanksgiving", datetime(2026, 11, 25, 16, 30, tzinfo=LA), 60, US_CA,
     datetime(2026, 11, 30, 9, 30, tzinfo=LA)),
    ("GB and DE holidays together", datetime(2026, 4, 30, 16, 30, tzinfo=LONDON), 60, LONDON_GB_DE,
     datetime(2026, 5, 5, 9, 30, tzinfo=LONDON)),
    ("Easter in Berlin", berlin(2026, 4, 2, 16), 120, BERLIN_DE, berlin(2026, 4, 7, 10)),
    ("weeks past Veterans Day, Thanksgiving", ny(2026, 11, 2, 9), 20 * 480, US, ny(2026, 12, 1, 17)),
    # DST: the UTC offset changes over the weekend; Monday's 09:00 is a different UTC hour than Friday's.
    ("NY spring forward over a weekend", ny(2026, 3, 6, 16), 120, US, utc(2026, 3, 9, 14)),
    ("NY fall back over a weekend", ny(2026, 10, 30, 16), 120, US, utc(2026, 11, 2, 15)),
    ("Berlin spring forward over a weekend", berlin(2026, 3, 27, 16), 120, BERLIN_DE, utc(2026, 3, 30, 8)),
    ("Berlin fall back over a weekend", berlin(2026, 10, 23, 16), 120, BERLIN_DE, utc(2026, 10, 26, 9)),
    # A business day on the DST-change date itself: still 8 h from 09:00 to 17:00.
    ("NY 2026-03-08 is 8 h", ny(2026, 3, 8, 9), 480, NY_EVERY_DAY, utc(2026, 3, 8, 21)),
    ("NY 2026-11-01 is 8 h", ny(2026, 11, 1, 9), 480, NY_EVERY_DAY, utc(2026, 11, 1, 22)),
    ("Berlin 2026-03-29 is 8 h", berlin(2026, 3, 29, 9), 480, BERLIN_EVERY_DAY, utc(2026, 3, 29, 15)),
    ("Berlin 2026-10-25 is 8 h", berlin(2026, 10, 25, 9), 480, BERLIN_EVERY_DAY, utc(2026, 10, 25, 16)),
    ("NY night before spring forward", ny(2026, 3, 7, 16), 120, NY_EVERY_DAY, ny(2026, 3, 8, 10)),
    # Business time is elapsed time: a window that straddles the change is an hour shorter or longer.
    ("night desk loses an hour in spring", ny(2026, 3, 8, 0), 300, NY_NIGHT_DESK, ny(2026, 3, 8, 6)),
    ("night desk gains an hour in autumn", ny(2026, 11, 1, 0), 420, NY_NIGHT_DESK, ny(2026, 11, 1, 6)),
    ("overnight window ends the next day", ny(2026, 1, 5, 23), 240, NY_OVERNIGHT, ny(2026, 1, 6, 3)),
    ("overnight window from Friday night", ny(2026, 1, 10, 2), 300, NY_OVERNIGHT, ny(2026, 1, 12, 23)),
    ("24x7", utc(2026, 1, 10, 12), 90, None, utc(2026, 1, 10, 13, 30)),
    ("24x7 across DST", ny(2026, 3, 8, 1), 120, None, ny(2026, 3, 8, 4)),
    ("24x7 zero", utc(2026, 1, 10, 12), 0, None, utc(2026, 1, 10, 12)),
]  # fmt: skip


@pytest.mark.parametrize(("start", "minutes", "hours", "expected"), [c[1:] for c in ADD_CASES],
                         ids=[c[0] for c in ADD_CASES])  # fmt: skip
def test_add_business_time(
    start: datetime, minutes: float, hours: BusinessHours | None, expected: datetime
) -> None:
    result = add_business_time(start, minutes, hours)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "minutes", "hours"),
    [
        (datetime(2026, 1, 6, 10), 5, OFFICE),
        (utc(2026, 1, 6, 10), -1, OFFICE),
        (datetime(2026, 1, 6), 1, None),
    ],
)
def test_add_business_time_rejects(start: datetime, minutes: float, hours: BusinessHours | None) -> None:
    with pytest.raises(ValueError):
        add_business_time(start, minutes, hours)


def test_hours_without_business_days_fail_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="weekday"):
        add_business_time(utc(2026, 1, 6), 5, BusinessHours(weekdays=()))


def test_timezone_override_moves_the_window() -> None:
    moved = with_timezone(OFFICE, "America/New_York")
    assert moved == BusinessHours("America/New_York")
    assert add_business_time(utc(2026, 1, 6, 10), 15, moved) == utc(2026, 1, 6, 14, 15)
    assert with_timezone(None, "America/New_York") is None
    assert with_timezone(OFFICE, None) is OFFICE


EOD_CASES = [
    ("inside hours", utc(2026, 1, 6, 10), OFFICE, utc(2026, 1, 6, 17)),
    ("before opening", utc(2026, 1, 6, 7), OFFICE, utc(2026, 1, 6, 17)),
    ("at the opening", utc(2026, 1, 6, 9), OFFICE, utc(2026, 1, 6, 17)),
    ("a minute before the close", utc(2026, 1, 6, 16, 59), OFFICE, utc(2026, 1, 6, 17)),
    ("at the close", utc(2026, 1, 6, 17), OFFICE, utc(2026, 1, 7, 17)),
    ("after closing", utc(2026, 1, 6, 20), OFFICE, utc(2026, 1, 7, 17)),
    ("Friday evening", utc(2026, 1, 9, 18), OFFICE, utc(2026, 1, 12, 17)),
    ("Sunday", utc(2026, 1, 11, 12), OFFICE, utc(2026, 1, 12, 17)),
    ("Thanksgiving", ny(2026, 11, 26, 11), US, ny(2026, 11, 27, 17)),
    ("New York evening is UTC night", utc(2026, 1, 6, 23), US, ny(2026, 1, 6, 17) + timedelta(days=1)),
    ("New York afternoon", utc(2026, 1, 6, 20), US, ny(2026, 1, 6, 17)),
    ("DST Monday", ny(2026, 3, 9, 8), US, utc(2026, 3, 9, 21)),
    ("overnight window", ny(2026, 1, 6, 2), NY_OVERNIGHT, ny(2026, 1, 6, 6)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "hours", "expected"), [c[1:] for c in EOD_CASES], ids=[c[0] for c in EOD_CASES]
)
def test_end_of_business_day(start: datetime, hours: BusinessHours, expected: datetime) -> None:
    assert end_of_business_day(start, hours) == expected


BETWEEN_CASES = [
    ("same day", utc(2026, 1, 6, 10), utc(2026, 1, 6, 11), OFFICE, 60.0),
    ("over a weekend", utc(2026, 1, 9, 16), utc(2026, 1, 12, 10), OFFICE, 120.0),
    ("all outside hours", utc(2026, 1, 10, 1), utc(2026, 1, 11, 23), OFFICE, 0.0),
    ("end before start", utc(2026, 1, 6, 11), utc(2026, 1, 6, 10), OFFICE, 0.0),
    ("24x7", utc(2026, 1, 10, 1), utc(2026, 1, 10, 2, 30), None, 90.0),
]  # fmt: skip


@pytest.mark.parametrize(("start", "end", "hours", "expected"), [c[1:] for c in BETWEEN_CASES],
                         ids=[c[0] for c in BETWEEN_CASES])  # fmt: skip
def test_business_minutes_between(
    start: datetime, end: datetime, hours: BusinessHours | None, expected: float
) -> None:
    assert business_minutes_between(start, end, hours) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        (utc(2026, 1, 6, 9), OFFICE, True),
        (utc(2026, 1, 6, 16, 59), OFFICE, True),
        (utc(2026, 1, 6, 17), OFFICE, False),
        (utc(2026, 1, 10, 12), OFFICE, False),
        (ny(2026, 11, 26, 12), US, False),
    ],
)
def test_is_business_time(moment: datetime, hours: BusinessHours, expected: bool) -> None:
    assert is_business_time(moment, hours) is expected


# ---- properties ----

PROPERTY_HOURS = [OFFICE, US, BERLIN_DE, LONDON_GB_DE, NY_EVERY_DAY, NY_NIGHT_DESK, NY_OVERNIGHT, KOLKATA]
starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
minutes = st.integers(min_value=0, max_value=20_000) | st.floats(
    min_value=0, max_value=2_000, allow_nan=False
)


@settings(max_examples=150, deadline=None)
@given(start=starts, a=minutes, b=minutes, hours=st.sampled_from(PROPERTY_HOURS))
def test_add_business_time_is_monotonic_in_minutes(
    start: datetime, a: float, b: float, hours: BusinessHours
) -> None:
    low, high = sorted((a, b))
    assert add_business_time(start, low, hours) <= add_business_time(start, high, hours)


@settings(max_examples=150, deadline=None)
@given(start=starts, amount=minutes, hours=st.sampled_from(PROPERTY_HOURS))
def test_add_business_time_lands_inside_business_hours(
    start: datetime, amount: float, hours: BusinessHours
) -> None:
    result = add_business_time(start, amount, hours)
    assert result >= start
    if timedelta(minutes=amount) > timedelta(0):  # at timedelta's resolution
        # inside a window: after its opening, at its close at the latest
        assert is_business_time(result - timedelta(microseconds=1), hours)
        assert business_minutes_between(start, result, hours) == pytest.approx(amount, abs=1e-4)
    else:
        assert is_business_time(result, hours)
