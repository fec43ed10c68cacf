"""The Outlook event a reservation or series should be (syncconnections.payloads), built from
unsaved model instances: no database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bookings.models import (
    Location,
    Reservation,
    ReservationSeries,
    ReservationStatus,
    Resource,
    Staff,
)
from syncconnections.models import SyncConnection
from syncconnections.payloads import changes, reservation_event, series_event

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SITE = "https://bookbridge.test"
WINDOWS_AMSTERDAM = "W. Europe Standard Time"
ROOM_MAILBOX = "room.rembrandt@contoso.test"
LISA = "lisa.dekker@contoso.test"


@pytest.fixture(autouse=True)
def site(settings):
    settings.PUBLIC_BASE_URL = SITE


def rembrandt(time_zone="Europe/Amsterdam", mailbox=ROOM_MAILBOX):
    location = Location(pk=2, name="Zuidas", time_zone=time_zone)
    return Resource(pk=3, name="Rembrandt", location=location, mailbox_email=mailbox)


def lisa():
    return Staff(pk=5, first_name="Lisa", last_name="Dekker", email=LISA)


def booking(resource=None, start=(10, 0), end=(11, 30), **fields):
    """Sales kick-off on 7 December 2026, Amsterdam time."""
    return Reservation(
        pk=7,
        title="Sales kick-off",
        resource=resource or rembrandt(),
        start=dt.datetime(2026, 12, 7, *start, tzinfo=AMSTERDAM),
        end=dt.datetime(2026, 12, 7, *end, tzinfo=AMSTERDAM),
        **{"status": ReservationStatus.CONFIRMED, **fields},
    )


def room_calendar():
    return SyncConnection(pk=11, resource_id=3, user_id=ROOM_MAILBOX)


def lisas_calendar():
    return SyncConnection(pk=12, staff_id=5, user_id=LISA)


def test_a_reservation_in_a_room_calendar_is_a_busy_event_inviting_its_staff_member():
    # Given a confirmed reservation of Lisa's in Rembrandt, with a description
    reservation = booking(staff=lisa(), description="Bring the Q4 figures.")
    # When its event for the room's calendar is built
    event = reservation_event(reservation, room_calendar(), connected=set())
    # Then it is the whole event, in the Windows name of the location's zone
    assert event == {
        "subject": "Sales kick-off",
        "body": {
            "contentType": "text",
            "content": "Bring the Q4 figures.\n\n"
            f"Booked in Bookbridge: {SITE}/admin/bookings/reservation/7/change/",
        },
        "start": {"dateTime": "2026-12-07T10:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "end": {"dateTime": "2026-12-07T11:30:00", "timeZone": WINDOWS_AMSTERDAM},
        "isAllDay": False,
        "location": {"displayName": "Rembrandt, Zuidas"},
        "attendees": [
            {"emailAddress": {"address": LISA, "name": "Lisa Dekker"}, "type": "required"}
        ],
        "showAs": "busy",
    }


@pytest.mark.parametrize(
    ("status", "shown_as"),
    [
        (ReservationStatus.CONCEPT, "tentative"),
        (ReservationStatus.OPTION, "tentative"),
        (ReservationStatus.CONFIRMED, "busy"),
        (ReservationStatus.COMPLETED, "busy"),
        (ReservationStatus.CANCELLED, "busy"),
        (ReservationStatus.CLOSED, "busy"),
    ],
)
def test_concepts_and_options_show_as_tentative(status, shown_as):
    # Given a reservation of that status
    # When its event is built
    event = reservation_event(booking(status=status), room_calendar(), connected=set())
    # Then the time shows as tentative or busy
    assert event["showAs"] == shown_as


def test_without_a_description_the_body_is_only_the_link():
    # Given a reservation without description or staff member
    # When its event is built
    event = reservation_event(booking(), room_calendar(), connected=set())
    # Then the body is the link alone, and no one is invited
    assert event["body"] == {
        "contentType": "text",
        "content": f"Booked in Bookbridge: {SITE}/admin/bookings/reservation/7/change/",
    }
    assert event["attendees"] == []


def test_in_a_staff_member_s_calendar_the_room_attends_as_a_resource():
    # Given Lisa's reservation, for her own calendar
    reservation = booking(staff=lisa())
    # When its event is built
    event = reservation_event(reservation, lisas_calendar(), connected=set())
    # Then the room attends, and Lisa does not invite herself
    assert event["attendees"] == [
        {"emailAddress": {"address": ROOM_MAILBOX, "name": "Rembrandt"}, "type": "resource"}
    ]


def test_a_calendar_bookbridge_writes_itself_is_not_invited():
    # Given Lisa's reservation, her calendar and the room's both connected
    reservation = booking(staff=lisa())
    connected = {LISA, ROOM_MAILBOX}
    # When its events for both calendars are built
    in_room = reservation_event(reservation, room_calendar(), connected)
    in_lisas = reservation_event(reservation, lisas_calendar(), connected)
    # Then neither invites the other: each gets its own copy directly
    assert (in_room["attendees"], in_lisas["attendees"]) == ([], [])


def test_a_room_without_a_mailbox_is_not_invited():
    # Given Lisa's reservation of a room that has no mailbox
    reservation = booking(resource=rembrandt(mailbox=""), staff=lisa())
    # When its event for her calendar is built
    event = reservation_event(reservation, lisas_calendar(), connected=set())
    # Then no one is invited
    assert event["attendees"] == []


def test_midnight_to_midnight_in_the_location_s_zone_is_an_all_day_event():
    # Given a reservation from midnight to midnight, Amsterdam time
    reservation = Reservation(
        pk=7,
        title="Offsite",
        resource=rembrandt(),
        start=dt.datetime(2026, 12, 7, tzinfo=AMSTERDAM),
        end=dt.datetime(2026, 12, 8, tzinfo=AMSTERDAM),
        status=ReservationStatus.CONFIRMED,
    )
    # When its event is built
    event = reservation_event(reservation, room_calendar(), connected=set())
    # Then it is an all-day event on the location's day
    assert {k: event[k] for k in ("start", "end", "isAllDay")} == {
        "start": {"dateTime": "2026-12-07T00:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "end": {"dateTime": "2026-12-08T00:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "isAllDay": True,
    }


def test_a_zone_without_a_windows_name_goes_as_utc():
    # Given a room in Troll (Antarctica: no Windows name; UTC+2 in July)
    troll = ZoneInfo("Antarctica/Troll")
    reservation = booking(resource=rembrandt(time_zone="Antarctica/Troll"))
    reservation.start = dt.datetime(2026, 7, 7, 10, tzinfo=troll)
    reservation.end = dt.datetime(2026, 7, 7, 11, tzinfo=troll)
    # When its event is built
    event = reservation_event(reservation, room_calendar(), connected=set())
    # Then its times go converted to UTC
    assert (event["start"], event["end"]) == (
        {"dateTime": "2026-07-07T08:00:00", "timeZone": "UTC"},
        {"dateTime": "2026-07-07T09:00:00", "timeZone": "UTC"},
    )


def weekly_series():
    return ReservationSeries(
        pk=4,
        title="Weekly stand-up",
        resource=rembrandt(),
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "endDate", "startDate": "2026-01-05", "endDate": "2027-03-01"},
        },
    )


def test_an_occurrence_s_event_links_to_its_series_and_leaves_its_description_out():
    # Given an occurrence of a series, with a description of its own
    occurrence = booking(series=weekly_series(), description="Room for twelve")
    # When its event is built
    event = reservation_event(occurrence, room_calendar(), connected=set())
    # Then the body is the series' (which has no description), with the series' page
    assert event["body"] == {
        "contentType": "text",
        "content": f"Booked in Bookbridge: {SITE}/admin/bookings/reservationseries/4/change/",
    }
    assert event["subject"] == "Sales kick-off"


def test_a_series_is_one_recurring_event_from_its_first_occurrence_s_local_day():
    # Given a weekly series whose first occurrence starts at 00:30 Amsterdam time (still
    # the day before in UTC)
    series = weekly_series()
    first = booking(series=series, start=(0, 30), end=(1, 0))
    recurrence_before = series.recurrence
    # When the recurring event is built
    event = series_event(series, first, room_calendar(), connected=set())
    # Then it has the series' title, the first occurrence's times and the series' recurrence
    # starting on the occurrence's day in the location's zone
    assert event == {
        "subject": "Weekly stand-up",
        "body": {
            "contentType": "text",
            "content": f"Booked in Bookbridge: {SITE}/admin/bookings/reservationseries/4/change/",
        },
        "start": {"dateTime": "2026-12-07T00:30:00", "timeZone": WINDOWS_AMSTERDAM},
        "end": {"dateTime": "2026-12-07T01:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "isAllDay": False,
        "location": {"displayName": "Rembrandt, Zuidas"},
        "attendees": [],
        "showAs": "busy",
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {
                "type": "endDate",
                "startDate": "2026-12-07",
                "endDate": "2027-03-01",
                "recurrenceTimeZone": WINDOWS_AMSTERDAM,
            },
        },
    }
    # And the series' own recurrence is left as it was
    assert series.recurrence == recurrence_before
    assert series.recurrence["range"]["startDate"] == "2026-01-05"


def test_changes_are_the_fields_that_differ_from_what_was_pushed():
    # Given the event as it should be and as it was last pushed
    desired = {
        "subject": "Sales kick-off (moved)",
        "showAs": "busy",
        "start": {"dateTime": "2026-12-07T10:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "attendees": [],
    }
    pushed = {
        "subject": "Sales kick-off",
        "showAs": "busy",
        "start": {"dateTime": "2026-12-07T10:00:00", "timeZone": WINDOWS_AMSTERDAM},
        "transactionId": "not desired: ignored",
    }
    # When the changes are taken
    found = changes(desired, pushed)
    # Then only the changed and the never-pushed fields are left
    assert found == {"subject": "Sales kick-off (moved)", "attendees": []}
