"""A series' occurrences from its pattern, with Microsoft Graph's meaning of
`patternedRecurrence` (the form a series is stored in, and sent to Outlook in).

Graph's patterns (resources/recurrencepattern.md): `daily` (every `interval` days), `weekly`
(`daysOfWeek`, every `interval` weeks counted from `firstDayOfWeek`), `absoluteMonthly`
(`dayOfMonth`), `relativeMonthly` (`index` first…fourth or last of `daysOfWeek`),
`absoluteYearly` (`month` and `dayOfMonth`), `relativeYearly` (`month`, `index`,
`daysOfWeek`). Its ranges (recurrencerange.md): `endDate` (inclusive), `numbered`
(`numberOfOccurrences`) and `noEnd`. The first occurrence is the first day on or after
`startDate` that fits the pattern. A day of the month that a month lacks (the 31st) falls on
its last day, as Outlook does. Times are wall-clock times of the series' zone, so a
daylight-saving change keeps 09:00 at 09:00.

Generation uses python-dateutil's rrule (RFC 5545), whose dtstart counts only when it fits,
as Graph's startDate does.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

DAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class RecurrenceError(ValueError):
    """A pattern that cannot be booked; the message says why, for a person."""


def occurrences(
    recurrence: dict[str, Any],
    starts_at: dt.time,
    ends_at: dt.time,
    time_zone: str,
    cap: int,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every occurrence, aware, in `time_zone`. An end at or before the start
    time is on the next day. A pattern with no end stops at `cap` occurrences; one that
    would make more is refused."""
    pattern, range_ = recurrence.get("pattern"), recurrence.get("range")
    if not isinstance(pattern, dict) or not isinstance(range_, dict):
        raise RecurrenceError('A recurrence is {"pattern": {…}, "range": {…}}.')
    first = _date(range_, "startDate")
    if not 2000 <= first.year <= 2999:
        raise RecurrenceError("The startDate is from the year 2000 on.")
    duration = dt.datetime.combine(first, ends_at) - dt.datetime.combine(first, starts_at)
    if duration <= dt.timedelta(0):
        duration += dt.timedelta(days=1)
    rule = _rule(pattern, range_, dt.datetime.combine(first, starts_at), cap)
    starts = list(itertools.islice(rule, cap + 1))  # one more tells "too many" from "the cap"
    if len(starts) > cap and range_.get("type") != "noEnd":
        raise RecurrenceError(
            f"The pattern makes more than {cap} occurrences, the limit (the tenant's max "
            "occurrences): end it sooner, or book two series."
        )
    zone = ZoneInfo(time_zone)
    return [
        (start.replace(tzinfo=zone), (start + duration).replace(tzinfo=zone))
        for start in starts[:cap]
    ]


def rrule_line(
    recurrence: dict[str, Any], first: dt.datetime, cap: int, all_day: bool = False
) -> str:
    """The series' pattern as an RFC 5545 RRULE line (what Google Calendar takes), for a
    recurring event that starts at `first` (aware, its zone the series'): the same rule that
    made the occurrences. An UNTIL is given in UTC, as RFC 5545 asks beside a zoned start,
    or as a date for an all-day event."""
    pattern, range_ = recurrence.get("pattern"), recurrence.get("range")
    if not isinstance(pattern, dict) or not isinstance(range_, dict):
        raise RecurrenceError('A recurrence is {"pattern": {…}, "range": {…}}.')
    local = first.replace(tzinfo=None)
    line = str(_rule(pattern, range_, local, cap)).splitlines()[-1]
    until = re.search(r"UNTIL=(\d{8}T\d{6})", line)
    if until:
        moment = dt.datetime.strptime(until.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=first.tzinfo)
        value = f"{moment:%Y%m%d}" if all_day else f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        line = line.replace(until.group(0), f"UNTIL={value}")
    return line


def _rule(
    pattern: dict[str, Any], range_: dict[str, Any], dtstart: dt.datetime, cap: int
) -> rrule.rrule:
    kind = pattern.get("type")
    interval = pattern.get("interval", 1)
    if not isinstance(interval, int) or interval < 1:
        raise RecurrenceError("The interval is a whole number from 1 on.")
    options: dict[str, Any] = {"dtstart": dtstart, "interval": interval}
    if kind == "daily":
        freq = rrule.DAILY
    elif kind == "weekly":
        freq = rrule.WEEKLY
        options["byweekday"] = _days(pattern)
        options["wkst"] = DAYS[_day_name(pattern.get("firstDayOfWeek") or "sunday")]
    elif kind in ("absoluteMonthly", "absoluteYearly"):
        freq = rrule.MONTHLY if kind == "absoluteMonthly" else rrule.YEARLY
        # The day, or the month's last day when it has fewer: the first of the two.
        options["bymonthday"] = (_day_of_month(pattern), -1)
        options["bysetpos"] = 1
    elif kind in ("relativeMonthly", "relativeYearly"):
        freq = rrule.MONTHLY if kind == "relativeMonthly" else rrule.YEARLY
        options["byweekday"] = _days(pattern)
        index = pattern.get("index") or "first"
        if not isinstance(index, str) or index not in INDEX:
            raise RecurrenceError(f"“{index}” is no index: first, second, third, fourth or last.")
        options["bysetpos"] = INDEX[index]
    else:
        raise RecurrenceError(
            f"“{kind}” is no pattern: daily, weekly, absoluteMonthly, relativeMonthly, "
            "absoluteYearly or relativeYearly."
        )
    if kind.endswith("Yearly"):
        month = pattern.get("month")
        if not isinstance(month, int) or not 1 <= month <= 12:
            raise RecurrenceError("A yearly pattern needs its month, 1 to 12.")
        options["bymonth"] = month
    options.update(_end(range_, dtstart, cap))
    return rrule.rrule(freq, **options)


def _end(range_: dict[str, Any], dtstart: dt.datetime, cap: int) -> dict[str, Any]:
    kind = range_.get("type")
    if kind == "endDate":
        last = _date(range_, "endDate")
        if last < dtstart.date():
            raise RecurrenceError("The end date is before the start date.")
        return {"until": dt.datetime.combine(last, dt.time.max)}
    if kind == "numbered":
        count = range_.get("numberOfOccurrences")
        if not isinstance(count, int) or count < 1:
            raise RecurrenceError("The number of occurrences is a whole number from 1 on.")
        return {"count": min(count, cap + 1)}
    if kind == "noEnd":
        return {"count": cap}
    raise RecurrenceError(f"“{kind}” is no range: endDate, numbered or noEnd.")


def _date(range_: dict[str, Any], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(range_.get(name)))
    except ValueError:
        raise RecurrenceError(f"The {name} is a date such as 2027-01-12.") from None


def _days(pattern: dict[str, Any]) -> list[rrule.weekday]:
    names = pattern.get("daysOfWeek") or []
    if not names or not isinstance(names, list):
        raise RecurrenceError('Say on which days of the week (a list such as ["tuesday"]).')
    return [DAYS[_day_name(name)] for name in names]


def _day_name(name: Any) -> str:
    if str(name).lower() not in DAYS:
        raise RecurrenceError(f"“{name}” is no day of the week.")
    return str(name).lower()


def _day_of_month(pattern: dict[str, Any]) -> int:
    day = pattern.get("dayOfMonth")
    if not isinstance(day, int) or not 1 <= day <= 31:
        raise RecurrenceError("The day of the month is a number from 1 to 31.")
    return day


# --- in words --------------------------------------------------------------------------------


def in_words(
    recurrence: dict[str, Any], starts_at: dt.time, ends_at: dt.time, count: int | None = None
) -> str:
    """ "Every 2 weeks on Tue, Thu, 09:00–10:00, 12 Jan – 30 Mar 2027, 12 occurrences"."""
    pattern, range_ = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    parts = [_pattern_words(pattern), f"{starts_at:%H:%M}–{ends_at:%H:%M}", _range_words(range_)]
    if count is not None:
        parts.append(f"{count} occurrence{'' if count == 1 else 's'}")
    return ", ".join(parts)


def _every(pattern: dict[str, Any], unit: str) -> str:
    interval = pattern.get("interval", 1)
    return f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"


def _short_days(pattern: dict[str, Any]) -> str:
    return ", ".join(str(d)[:3].capitalize() for d in pattern.get("daysOfWeek") or [])


def _pattern_words(pattern: dict[str, Any]) -> str:
    kind = pattern.get("type")
    relative = f"the {pattern.get('index') or 'first'} {_long_days(pattern)}"
    month = MONTHS[pattern["month"] - 1] if pattern.get("month") else ""
    return {
        "daily": lambda: _every(pattern, "day"),
        "weekly": lambda: f"{_every(pattern, 'week')} on {_short_days(pattern)}",
        "absoluteMonthly": lambda: f"{_every(pattern, 'month')} on day {pattern.get('dayOfMonth')}",
        "relativeMonthly": lambda: f"{_every(pattern, 'month')} on {relative}",
        "absoluteYearly": lambda: (
            f"{_every(pattern, 'year')} on {pattern.get('dayOfMonth')} {month}"
        ),
        "relativeYearly": lambda: f"{_every(pattern, 'year')} on {relative} of {month}",
    }.get(kind, lambda: str(kind))()


def _long_days(pattern: dict[str, Any]) -> str:
    return " or ".join(str(d).capitalize() for d in pattern.get("daysOfWeek") or [])


def _range_words(range_: dict[str, Any]) -> str:
    start = dt.date.fromisoformat(range_["startDate"])
    if range_.get("type") == "endDate":
        end = dt.date.fromisoformat(range_["endDate"])
        first = f"{start.day} {start:%b}" if start.year == end.year else _day(start)
        return f"{first} – {_day(end)}"
    if range_.get("type") == "numbered":
        return f"from {_day(start)}"
    return f"from {_day(start)}, no end"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"
