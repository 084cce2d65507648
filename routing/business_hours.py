"""Business-hours arithmetic: opening hours on business weekdays that are not public holidays, in a timezone.

Business time is real elapsed time inside opening windows. A window is [opens, closes) on the wall clock of
`BusinessHours.timezone` for one business day, converted to UTC on its own date, so a 09:00–17:00 day is 8 h
whatever UTC offset that day has. A window whose `closes` is not after `opens` ends the next day (an overnight
desk, or a full day with opens == closes); the day it opens on decides whether it is a business day.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

from routing.rules import RulesError

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day_names() -> dict[str, int]:
    """A day by its English name or an abbreviation of at least three letters (`tue`, `Tues`, `thurs`,
    `weds`); anything else ("mon-fri", "monkey") is refused, not cut short."""
    names = {"weds": 2}
    for day, full in enumerate(_FULL_NAMES):
        names |= {full[:length]: day for length in range(3, len(full) + 1)}
    return names


_WEEKDAYS_BY_NAME = _day_names()
_MAX_IDLE_DAYS = 3660  # a calendar with no business day in ten years is a configuration error, not a loop
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When business time counts. `holidays` are codes for the holidays package: "US", "GB", "US-CA"."""

    timezone: str = "UTC"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday=0
    opens: time = time(9)
    closes: time = time(17)
    holidays: tuple[str, ...] = ()


def add_business_time(start: datetime, minutes: float, hours: BusinessHours | None) -> datetime:
    """`start` plus `minutes` of business time (wall time when `hours` is None), as an aware UTC datetime."""
    start = _utc(start)
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")
    remaining = timedelta(minutes=minutes)
    if hours is None:
        return start + remaining
    for opens, closes in _windows(start, hours):
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _windows never ends")  # pragma: no cover


def end_of_business_day(start: datetime, hours: BusinessHours) -> datetime:
    """Close of the business day containing `start`, or of the next one if `start` is outside it."""
    start = _utc(start)
    for _opens, closes in _windows(start, hours):
        return closes
    raise AssertionError("unreachable: _windows never ends")  # pragma: no cover


def business_minutes_between(start: datetime, end: datetime, hours: BusinessHours | None) -> float:
    """Minutes of business time in [start, end) (wall minutes when `hours` is None); 0 if end <= start."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start) / timedelta(minutes=1)
    total = timedelta()
    for opens, closes in _windows(start, hours):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total / timedelta(minutes=1)


def is_business_time(moment: datetime, hours: BusinessHours) -> bool:
    """Whether `moment` lies inside an opening window (opening instant included, closing instant not)."""
    moment = _utc(moment)
    for opens, _closes in _windows(moment, hours):
        return opens <= moment
    raise AssertionError("unreachable: _windows never ends")  # pragma: no cover


def with_timezone(hours: BusinessHours | None, timezone: str | None) -> BusinessHours | None:
    """`hours` in another timezone (an account's), or unchanged when there are no hours or no override."""
    if hours is None or not timezone or timezone == hours.timezone:
        return hours
    return replace(hours, timezone=timezone)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _windows(after: datetime, hours: BusinessHours) -> Iterator[tuple[datetime, datetime]]:
    """Opening windows in UTC, in order, from the first one that closes after `after`."""
    if not hours.weekdays:
        raise ValueError("business hours need at least one weekday")
    day = after.astimezone(ZoneInfo(hours.timezone)).date() - timedelta(days=1)  # yesterday's may be open
    idle = 0
    while idle <= _MAX_IDLE_DAYS:
        window = _window(day, hours)
        if window is None:
            idle += 1
        else:
            idle = 0
            opens, closes = window
            if closes > after and closes > opens:
                yield window
        day += timedelta(days=1)
    raise ValueError(f"no business day within {_MAX_IDLE_DAYS} days in {hours}")


# A sweep asks about the same few days for every handoff it looks at: each day's window is worked out once.
@functools.lru_cache(maxsize=4096)
def _window(day: date, hours: BusinessHours) -> tuple[datetime, datetime] | None:
    """The opening window of `day` in UTC, or None if it is not a business day."""
    if day.weekday() not in hours.weekdays or day in _holiday_dates(hours.holidays, day.year):
        return None
    zone = ZoneInfo(hours.timezone)
    overnight = hours.closes <= hours.opens
    closes_on = day + timedelta(days=1) if overnight else day
    return _instant(day, hours.opens, zone), _instant(closes_on, hours.closes, zone)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a wall time skipped by a DST gap maps to the offset before the change (02:30 EST = 03:30 EDT).
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=256)
def _holiday_dates(codes: tuple[str, ...], year: int) -> frozenset[date]:
    dates: set[date] = set()
    for code in codes:
        country, _, subdiv = code.partition("-")
        dates.update(holiday_calendars.country_holidays(country, subdiv=subdiv or None, years=year))
    return frozenset(dates)


# ---- data ----


def hours_to_data(hours: BusinessHours) -> dict[str, Any]:
    """Business hours as JSON/YAML-friendly data (times "09:00", weekdays ["mon", ...])."""
    return {
        "timezone": hours.timezone,
        "weekdays": [WEEKDAY_NAMES[d] for d in sorted(hours.weekdays)],
        "opens": hours.opens.strftime("%H:%M"),
        "closes": hours.closes.strftime("%H:%M"),
        "holidays": list(hours.holidays),
    }


def hours_from_data(data: Any, *, source: str, path: str) -> BusinessHours:
    """Parse business hours; errors name `source` and the field under `path`."""
    if not isinstance(data, Mapping):
        raise RulesError(source, path, f"expected a mapping, got {type(data).__name__}")
    for key in data:
        if key not in ("timezone", "weekdays", "opens", "closes", "holidays"):
            raise RulesError(source, f"{path}.{key}", "unknown field")
    default = BusinessHours()
    return BusinessHours(
        timezone=_timezone(data.get("timezone", default.timezone), source, f"{path}.timezone"),
        weekdays=_weekdays(data.get("weekdays", list(default.weekdays)), source, f"{path}.weekdays"),
        opens=_time(data.get("opens", default.opens), source, f"{path}.opens"),
        closes=_time(data.get("closes", default.closes), source, f"{path}.closes"),
        holidays=_holiday_codes(data.get("holidays", []), source, f"{path}.holidays"),
    )


def _timezone(value: Any, source: str, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise RulesError(
            source, path, f"expected an IANA timezone name such as 'Europe/Berlin', got {value!r}"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise RulesError(source, path, f"unknown timezone {value!r}") from None
    return value


def _weekdays(value: Any, source: str, path: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(
            source, path, f"expected a non-empty list of days such as ['mon', 'tue'], got {value!r}"
        )
    days: set[int] = set()
    for i, item in enumerate(value):
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            days.add(item)  # Monday=0, as in the dataclass
        elif isinstance(item, str) and item.strip().lower() in _WEEKDAYS_BY_NAME:
            days.add(_WEEKDAYS_BY_NAME[item.strip().lower()])
        else:
            raise RulesError(
                source, f"{path}[{i}]", f"unknown weekday {item!r}; one of: {', '.join(WEEKDAY_NAMES)}"
            )
    return tuple(sorted(days))


def _time(value: Any, source: str, path: str) -> time:
    if isinstance(value, time):
        return value
    # A number is refused, not guessed at: `opens: 9` could mean 09:00 or nine minutes past midnight. (An
    # unquoted 17:00 arrives as text: routing/yaml_text.py does not read it as YAML 1.1's sexagesimal 1020.)
    if isinstance(value, str) and (match := _HHMM.fullmatch(value.strip())):
        return time(int(match[1]), int(match[2]))
    raise RulesError(source, path, f"expected a time of day as 'HH:MM', got {value!r}")


def _holiday_codes(value: Any, source: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RulesError(source, path, f"expected a list of country codes such as ['US'], got {value!r}")
    supported = holiday_calendars.list_supported_countries()
    codes: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RulesError(
                source, f"{path}[{i}]", f"expected a country code such as 'US' or 'US-CA', got {item!r}"
            )
        country, _, subdiv = item.strip().partition("-")
        country = country.upper()
        if country not in supported:
            raise RulesError(source, f"{path}[{i}]", f"unknown holiday country {country!r}")
        if subdiv:
            known = {s.upper(): s for s in supported[country]}
            if subdiv.upper() not in known:
                raise RulesError(source, f"{path}[{i}]", f"unknown subdivision {subdiv!r} of {country}")
            subdiv = known[subdiv.upper()]
        code = f"{country}-{subdiv}" if subdiv else country
        if code not in codes:
            codes.append(code)
    return tuple(codes)
