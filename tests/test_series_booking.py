"""Booking a series from its pattern (bookings/series.py): occurrences generated, clashes
refused or skipped, and the series sent to Outlook as one recurring event once booked."""

import datetime as dt

import pytest

from bookings.models import Reservation, ReservationSeries
from bookings.recurrence import RecurrenceError
from bookings.series import SeriesClashes, book_series
from syncconnections.models import OutlookEvent
from tests import factories
from tests.helpers import member_of, messages_of
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


# --- the admin's form --------------------------------------------------------------------------

WEEKLY_FORM = {
    "title": "Stand-up",
    "occurrence_status": "confirmed",
    "pattern": "weekly",
    "interval": "2",
    "days_of_week": ["tuesday", "thursday"],
    "first_day": "2027-01-12",
    "starts_at": "09:00",
    "ends_at": "10:00",
    "ends": "endDate",
    "last_day": "2027-03-30",
    "occurrences-TOTAL_FORMS": "0",
    "occurrences-INITIAL_FORMS": "0",
}


def test_the_admin_books_a_weekly_series_from_the_form(client, boardroom):
    client.force_login(member_of("Back office"))

    response = client.post(
        "/admin/bookings/reservationseries/add/",
        {**WEEKLY_FORM, "resource": boardroom.pk},
        follow=True,
    )

    series = ReservationSeries.objects.get()
    assert messages_of(response)[0] == (
        "Booked: Every 2 weeks on Tue, Thu, 09:00–10:00, 12 Jan – 30 Mar 2027, 12 occurrences."
    )
    assert series.recurrence == {
        "pattern": {
            "type": "weekly",
            "interval": 2,
            "daysOfWeek": ["tuesday", "thursday"],
            "firstDayOfWeek": "monday",
        },
        "range": {"type": "endDate", "startDate": "2027-01-12", "endDate": "2027-03-30"},
    }
    assert (series.occurrences.count(), series.occurrences_complete) == (12, True)
    page = client.get(f"/admin/bookings/reservationseries/{series.pk}/change/")
    assert "Every 2 weeks on Tue, Thu, 09:00–10:00, 12 Jan – 30 Mar 2027, 12 occurrences" in (
        page.content.decode()
    )


def test_the_admin_form_lists_the_clashes_and_books_nothing(client, boardroom):
    sales = factories.ReservationFactory(
        resource=boardroom,
        title="Sales sync",
        start=dt.datetime(2027, 1, 14, 9, 30, tzinfo=at(7, 0).tzinfo),
        end=dt.datetime(2027, 1, 14, 10, 30, tzinfo=at(7, 0).tzinfo),
    )
    client.force_login(member_of("Back office"))

    response = client.post(
        "/admin/bookings/reservationseries/add/", {**WEEKLY_FORM, "resource": boardroom.pk}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert list(errors) == [
        f"Thu 14 Jan 2027: Boardroom is booked 09:30–10:30 by 'Sales sync' (#{sales.pk})",
        "1 of 12 occurrences clash: tick “Leave out the occurrences that clash” to book the "
        "others, or change the pattern.",
    ]
    assert not ReservationSeries.objects.exists()

    client.post(
        "/admin/bookings/reservationseries/add/",
        {**WEEKLY_FORM, "resource": boardroom.pk, "skip_clashes": "on"},
    )
    assert ReservationSeries.objects.get().occurrences.count() == 11


# --- the API ------------------------------------------------------------------------------------


def test_the_api_books_a_series_and_lists_its_occurrences(client, boardroom):
    client.force_login(member_of("Back office"))

    response = client.post(
        "/api/reservation-series/",
        {
            "title": "Stand-up",
            "resource": boardroom.pk,
            "start_time": "09:00",
            "end_time": "10:00",
            "recurrence": TUESDAYS_AND_THURSDAYS,
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pattern_in_words"] == (
        "Every week on Tue, Thu, 09:00–10:00, 8 Dec – 17 Dec 2026, 4 occurrences"
    )
    assert (body["series"]["occurrence_count"], body["skipped"]) == (4, [])
    listed = client.get(f"/api/reservations/?series={body['series']['id']}").json()
    assert [r["start"] for r in listed["results"]] == [
        f"2026-12-{day:02d}T09:00:00+01:00" for day in (8, 10, 15, 17)
    ]


def test_the_api_refuses_a_bad_pattern_and_names_the_clashes(client, boardroom):
    sales = factories.ReservationFactory(
        resource=boardroom, title="Sales sync", start=at(15, 9), end=at(15, 10)
    )
    client.force_login(member_of("Back office"))
    book = {
        "title": "Stand-up",
        "resource": boardroom.pk,
        "start_time": "09:00",
        "end_time": "10:00",
    }

    bad = client.post(
        "/api/reservation-series/",
        {**book, "recurrence": {"pattern": {"type": "weekly"}, "range": {"type": "noEnd"}}},
        content_type="application/json",
    )
    clash = client.post(
        "/api/reservation-series/",
        {**book, "recurrence": TUESDAYS_AND_THURSDAYS},
        content_type="application/json",
    )

    assert bad.status_code == 400
    assert (
        bad.json()["error"]["message"] == "recurrence: The startDate is a date such as 2027-01-12."
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["details"] == {
        "clashes": [
            {
                "start": "2026-12-15T09:00:00+01:00",
                "end": "2026-12-15T10:00:00+01:00",
                "message": f"Boardroom is booked 09:00–10:00 by 'Sales sync' (#{sales.pk})",
                "conflicting_reservation": sales.pk,
            }
        ]
    }
    client.force_login(member_of("Support"))
    refused = client.post(
        "/api/reservation-series/",
        {**book, "recurrence": TUESDAYS_AND_THURSDAYS, "skip_conflicts": True},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert not ReservationSeries.objects.exists()


def test_booking_a_series_takes_the_same_queries_whatever_its_length(boardroom):
    """Generation, clash check, insert and announcements are done per batch, not per
    occurrence."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count, name):
        room = factories.ResourceFactory(name=name, location=boardroom.location)
        series = series_in(
            room,
            {
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": "2027-01-04",
                    "numberOfOccurrences": count,
                },
            },
        )
        with CaptureQueriesContext(connection) as queries:
            book_series(series, NINE, TEN, cap=180)
        return len(queries)

    assert queries_for(5, "Small room") == queries_for(60, "Large room")


def test_the_cap_is_the_tenant_s_max_occurrences_where_it_is_lower(client, room):
    room.tenant.max_occurrences = 4
    room.tenant.save()
    client.force_login(member_of("Back office"))
    five_days = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 5},
    }

    refused = client.post(
        "/api/reservation-series/",
        {
            "title": "Stand-up",
            "resource": room.resource_id,
            "start_time": "09:00",
            "end_time": "09:15",
            "recurrence": five_days,
        },
        content_type="application/json",
    )
    elsewhere = book_series(series_in(factories.ResourceFactory(), five_days), NINE, TEN, cap=180)

    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "recurrence: The pattern makes more than 4 occurrences, the limit (the tenant's max "
        "occurrences): end it sooner, or book two series."
    )
    assert ReservationSeries.objects.filter(resource=room.resource).count() == 0
    assert len(elsewhere.occurrences) == 5  # a room no tenant syncs: the setting's 180
