"""Booking a series from its pattern (bookings/series.py): occurrences generated, clashes
refused or skipped, and the series sent to Outlook as one recurring event once booked."""

import datetime as dt

import pytest

from bookings.models import Reservation, ReservationSeries
from bookings.recurrence import RecurrenceError
from bookings.series import SeriesClashes, book_series
from syncconnections.models import OutlookEvent
from tests import factories
from tests.sync_helpers import at

pytestmark = pytest.mark.django_db

NINE, TEN = dt.time(9), dt.time(10)
TUESDAYS_AND_THURSDAYS = {
    "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday", "thursday"]},
    "range": {"type": "endDate", "startDate": "2026-12-08", "endDate": "2026-12-17"},
}


def series_in(resource, recurrence=TUESDAYS_AND_THURSDAYS, **fields):
    return ReservationSeries(
        title="Stand-up", resource=resource, recurrence=dict(recurrence), **fields
    )


@pytest.fixture
def boardroom():
    return factories.ResourceFactory(name="Boardroom", location__time_zone="Europe/Amsterdam")


def test_a_pattern_books_its_occurrences_and_completes_the_series(boardroom):
    booked = book_series(series_in(boardroom), NINE, TEN, cap=180)

    series = ReservationSeries.objects.get()
    assert series.occurrences_complete is True
    assert [(o.start, o.end) for o in series.occurrences.order_by("start")] == [
        (at(day, 9), at(day, 10)) for day in (8, 10, 15, 17)
    ]
    assert {o.title for o in booked.occurrences} == {"Stand-up"}
    assert booked.skipped == []


def test_a_clash_refuses_the_whole_series_by_name_or_is_skipped(boardroom):
    sales = factories.ReservationFactory(
        resource=boardroom, title="Sales sync", start=at(10, 9, 30), end=at(10, 11)
    )

    with pytest.raises(SeriesClashes) as refused:
        book_series(series_in(boardroom), NINE, TEN, cap=180)
    assert refused.value.messages == [
        f"Thu 10 Dec 2026: Boardroom is booked 09:30–11:00 by 'Sales sync' (#{sales.pk})"
    ]
    assert not ReservationSeries.objects.exists()

    booked = book_series(series_in(boardroom), NINE, TEN, cap=180, skip_clashes=True)

    assert [o.start.day for o, _ in booked.skipped] == [10]
    assert sorted(o.start.day for o in booked.series.occurrences.all()) == [8, 15, 17]


def test_no_end_is_booked_up_to_the_cap_and_stored_so(boardroom):
    daily = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "noEnd", "startDate": "2026-12-08"},
    }

    booked = book_series(series_in(boardroom, daily), NINE, TEN, cap=5)

    assert len(booked.occurrences) == 5
    assert booked.series.recurrence["range"] == {
        "type": "numbered",
        "startDate": "2026-12-08",
        "numberOfOccurrences": 5,
    }


def test_over_the_cap_saves_nothing(boardroom):
    many = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2026-12-08", "numberOfOccurrences": 6},
    }

    with pytest.raises(RecurrenceError, match="more than 5 occurrences"):
        book_series(series_in(boardroom, many), NINE, TEN, cap=5)

    assert not Reservation.objects.exists()


def test_a_booked_series_goes_to_outlook_as_one_recurring_event(sandbox, room):
    booked = book_series(series_in(room.resource), NINE, TEN, cap=180)

    [event] = sandbox.events(room.user_id)
    assert event["type"] == "seriesMaster"
    assert event["transactionId"] == str(booked.series.uuid)
    assert OutlookEvent.objects.filter(kind="occurrence").count() == 4
