"""Occurrences of Graph's patterns (resources/recurrencepattern.md, recurrencerange.md), each
against dates read off the calendar, and the pattern in words."""

import datetime as dt

import pytest

from bookings.recurrence import RecurrenceError, in_words, occurrences

NINE, TEN = dt.time(9), dt.time(10)
AMSTERDAM = "Europe/Amsterdam"


def days(pattern, range_, cap=180, time_zone=AMSTERDAM):
    made = occurrences({"pattern": pattern, "range": range_}, NINE, TEN, time_zone, cap)
    return [start.date().isoformat() for start, _ in made]


def numbered(start, count):
    return {"type": "numbered", "startDate": start, "numberOfOccurrences": count}


@pytest.mark.parametrize(
    ("pattern", "range_", "expected"),
    [
        (  # every 3 days, the end date included
            {"type": "daily", "interval": 3},
            {"type": "endDate", "startDate": "2027-01-12", "endDate": "2027-01-24"},
            ["2027-01-12", "2027-01-15", "2027-01-18", "2027-01-21", "2027-01-24"],
        ),
        (  # every other week on Tuesday and Thursday, weeks from Sunday
            {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday", "thursday"]},
            {"type": "endDate", "startDate": "2027-01-12", "endDate": "2027-02-12"},
            ["2027-01-12", "2027-01-14", "2027-01-26", "2027-01-28", "2027-02-09", "2027-02-11"],
        ),
        (  # a start date off the pattern: the first fitting day (Friday 1 Jan → Monday 4th)
            {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            numbered("2027-01-01", 2),
            ["2027-01-04", "2027-01-11"],
        ),
        (  # the 31st: the last day of shorter months, as Outlook does
            {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
            numbered("2027-01-01", 4),
            ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"],
        ),
        (  # every 3 months on the 15th
            {"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 15},
            numbered("2027-01-20", 2),
            ["2027-04-15", "2027-07-15"],
        ),
        (  # the second Tuesday
            {
                "type": "relativeMonthly",
                "interval": 1,
                "daysOfWeek": ["tuesday"],
                "index": "second",
            },
            numbered("2027-01-01", 3),
            ["2027-01-12", "2027-02-09", "2027-03-09"],
        ),
        (  # the last Monday: the fourth in February 2027, the fifth in March 2027
            {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "last"},
            numbered("2027-02-01", 2),
            ["2027-02-22", "2027-03-29"],
        ),
        (  # every 3 years on 15 April
            {"type": "absoluteYearly", "interval": 3, "month": 4, "dayOfMonth": 15},
            numbered("2027-01-01", 2),
            ["2027-04-15", "2030-04-15"],
        ),
        (  # the last Thursday of November
            {
                "type": "relativeYearly",
                "interval": 1,
                "month": 11,
                "daysOfWeek": ["thursday"],
                "index": "last",
            },
            numbered("2027-01-01", 2),
            ["2027-11-25", "2028-11-30"],
        ),
    ],
)
def test_each_pattern_makes_the_dates_of_the_calendar(pattern, range_, expected):
    assert days(pattern, range_) == expected


def test_a_daylight_saving_change_keeps_the_local_time():
    # Summer time in Europe starts on Sunday 28 March 2027.
    made = occurrences(
        {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["sunday"]},
            "range": numbered("2027-03-21", 2),
        },
        NINE,
        TEN,
        AMSTERDAM,
        180,
    )

    assert [(s.isoformat(), e.isoformat()) for s, e in made] == [
        ("2027-03-21T09:00:00+01:00", "2027-03-21T10:00:00+01:00"),
        ("2027-03-28T09:00:00+02:00", "2027-03-28T10:00:00+02:00"),
    ]
    assert [s.astimezone(dt.UTC).hour for s, _ in made] == [8, 7]


def test_more_than_the_cap_is_refused_and_no_end_stops_at_it():
    daily = {"type": "daily", "interval": 1}

    with pytest.raises(RecurrenceError) as refused:
        days(daily, numbered("2027-01-01", 181))
    with pytest.raises(RecurrenceError):
        days(daily, {"type": "endDate", "startDate": "2027-01-01", "endDate": "2027-12-31"})

    assert str(refused.value) == (
        "The pattern makes more than 180 occurrences, the limit (the tenant's max "
        "occurrences): end it sooner, or book two series."
    )
    assert len(days(daily, numbered("2027-01-01", 180))) == 180
    assert len(days(daily, {"type": "noEnd", "startDate": "2027-01-01"})) == 180


@pytest.mark.parametrize(
    ("pattern", "range_", "message"),
    [
        ({"type": "weekly", "interval": 1}, numbered("2027-01-01", 2), "Say on which days"),
        ({"type": "hourly"}, numbered("2027-01-01", 2), "“hourly” is no pattern"),
        ({"type": "daily", "interval": 0}, numbered("2027-01-01", 2), "The interval is"),
        ({"type": "absoluteMonthly", "dayOfMonth": 32}, numbered("2027-01-01", 2), "day of"),
        ({"type": "absoluteYearly", "dayOfMonth": 1}, numbered("2027-01-01", 2), "its month"),
        (
            {"type": "daily"},
            {"type": "endDate", "startDate": "2027-02-01", "endDate": "2027-01-01"},
            "The end date is before",
        ),
        ({"type": "daily"}, {"type": "numbered", "startDate": "soon"}, "The startDate is"),
    ],
)
def test_a_pattern_that_cannot_be_booked_says_why(pattern, range_, message):
    with pytest.raises(RecurrenceError, match=message):
        days(pattern, range_)


def test_the_pattern_in_words():
    weekly = {
        "pattern": {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday", "thursday"]},
        "range": {"type": "endDate", "startDate": "2027-01-12", "endDate": "2027-03-30"},
    }
    yearly = {
        "pattern": {
            "type": "relativeYearly",
            "interval": 1,
            "month": 11,
            "daysOfWeek": ["thursday"],
            "index": "last",
        },
        "range": numbered("2026-12-01", 3),
    }

    assert in_words(weekly, NINE, TEN, 12) == (
        "Every 2 weeks on Tue, Thu, 09:00–10:00, 12 Jan – 30 Mar 2027, 12 occurrences"
    )
    assert in_words(yearly, NINE, TEN) == (
        "Every year on the last Thursday of November, 09:00–10:00, from 1 Dec 2026"
    )
    assert (
        len(occurrences(weekly, NINE, TEN, AMSTERDAM, 180)) == 12
    )  # the words' count is the generated one
