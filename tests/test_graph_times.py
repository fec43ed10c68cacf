"""Times as Graph has them: the time zone names it accepts (Windows names, and a listed set of
IANA names: resources/datetimetimezone.md) and all-day events, whose midnights are those of
the zone they are read in (resources/event.md). Through the sandbox, which refuses other
names as Graph does."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import requests

from bookings.models import Direction, Reservation
from errors.models import SyncError
from syncconnections import payloads
from syncconnections.inbound.delta import sync_down
from syncconnections.models import CompanyLogEntry, OutlookEvent
from tests import factories
from tests.sync_helpers import AMSTERDAM, ORGANIZER, at, book, graph_writes, last_request_id

pytestmark = pytest.mark.django_db


def sent_events(sandbox, since=0):
    """The bodies of the events Bookbridge created or changed in Graph."""
    return [
        r["body"]
        for r in sandbox.requests(since)
        if r["method"] in ("POST", "PATCH") and "/events" in r["path"]
    ]


# --- time zone names --------------------------------------------------------------------------


def test_the_sandbox_refuses_an_iana_name_graph_does_not_list(sandbox, sandbox_server, tenant):
    sandbox.mailbox("room.x@contoso.test")
    token = requests.post(
        f"{sandbox_server.url}/sandbox/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=sandbox_server.ca_file,
        timeout=10,
    ).json()["access_token"]

    answer = requests.post(
        f"{sandbox_server.url}/v1.0/users/room.x@contoso.test/events",
        json={
            "subject": "x",
            "start": {"dateTime": "2026-12-07T10:00:00", "timeZone": "Europe/Amsterdam"},
            "end": {"dateTime": "2026-12-07T11:00:00", "timeZone": "Europe/Amsterdam"},
        },
        headers={"Authorization": f"Bearer {token}"},
        verify=sandbox_server.ca_file,
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "TimeZoneNotSupportedException"
    assert "'Europe/Amsterdam'" in answer.json()["error"]["message"]
    assert sandbox.events("room.x@contoso.test") == []


def test_a_reservation_goes_to_graph_in_the_windows_name_of_its_zone(sandbox, room):
    since = last_request_id(sandbox)

    reservation = book(room)  # 7 December 10:00-11:00 Amsterdam

    [sent] = sent_events(sandbox, since)
    assert (sent["start"], sent["end"], sent["isAllDay"]) == (
        {"dateTime": "2026-12-07T10:00:00", "timeZone": "W. Europe Standard Time"},
        {"dateTime": "2026-12-07T11:00:00", "timeZone": "W. Europe Standard Time"},
        False,
    )
    [event] = sandbox.events(room.user_id)
    assert event["originalStartTimeZone"] == "W. Europe Standard Time"
    assert event["start"] == {"dateTime": "2026-12-07T09:00:00.0000000", "timeZone": "UTC"}
    assert OutlookEvent.objects.get().reservation == reservation
    assert list(SyncError.objects.all()) == []


def test_a_zone_without_a_windows_name_goes_as_utc(sandbox, room):
    location = room.resource.location
    location.time_zone = "Antarctica/Troll"  # UTC+2 in summer, UTC in winter; no Windows name
    location.save()
    since = last_request_id(sandbox)

    book(room, start=at(7, 10), end=at(7, 11))

    [sent] = sent_events(sandbox, since)
    assert (sent["start"], sent["end"]) == (
        {"dateTime": "2026-12-07T09:00:00", "timeZone": "UTC"},
        {"dateTime": "2026-12-07T10:00:00", "timeZone": "UTC"},
    )
    assert sandbox.events(room.user_id)[0]["start"]["dateTime"] == "2026-12-07T09:00:00.0000000"
    assert list(SyncError.objects.all()) == []


@pytest.mark.parametrize(
    ("name", "utc_hour"),
    [
        ("W. Europe Standard Time", 9),
        ("Pacific Standard Time", 18),
        ("Europe/Berlin", 9),
        ("America/Los_Angeles", 18),
        ("UTC", 10),
        ("Etc/GMT", 10),
    ],
)
def test_any_windows_or_iana_name_graph_sends_is_read(name, utc_hour):
    moment = payloads.parse_local({"dateTime": "2026-12-07T10:00:00.0000000", "timeZone": name})

    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 12, 7, utc_hour, tzinfo=dt.UTC)


def test_a_custom_zone_name_is_read_as_utc():
    moment = payloads.parse_local(
        {"dateTime": "2026-12-07T10:00:00", "timeZone": "tzone://Microsoft/Custom"}
    )

    assert moment == dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)


def test_an_outlook_meeting_in_a_windows_zone_is_booked_at_its_time(sandbox, room):
    sandbox.outlook_create(
        room.user_id,
        subject="Board",
        start={"dateTime": "2026-12-08T14:00:00", "timeZone": "W. Europe Standard Time"},
        end={"dateTime": "2026-12-08T15:30:00", "timeZone": "W. Europe Standard Time"},
        organizerEmail=ORGANIZER,
    )

    sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert (reservation.start, reservation.end) == (at(8, 14), at(8, 15, 30))


# --- all-day events ---------------------------------------------------------------------------


def all_day(first, last, zone="W. Europe Standard Time"):
    """An all-day event from the first to the last day (inclusive) of December 2026."""
    return {
        "subject": "Off-site",
        "isAllDay": True,
        "start": {"dateTime": f"2026-12-{first:02d}T00:00:00", "timeZone": zone},
        "end": {"dateTime": f"2026-12-{last + 1:02d}T00:00:00", "timeZone": zone},
        "organizerEmail": ORGANIZER,
    }


def midnight(day):
    return dt.datetime(2026, 12, day, tzinfo=AMSTERDAM)


def test_the_sandbox_gives_an_all_day_event_midnights_of_the_zone_asked_in(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **all_day(10, 11))

    assert (made["isAllDay"], made["start"], made["end"]) == (
        True,
        {"dateTime": "2026-12-10T00:00:00.0000000", "timeZone": "UTC"},
        {"dateTime": "2026-12-12T00:00:00.0000000", "timeZone": "UTC"},
    )


def test_the_sandbox_refuses_an_all_day_event_that_does_not_start_at_midnight(sandbox, room):
    body = all_day(10, 10)
    body["start"]["dateTime"] = "2026-12-10T09:00:00"

    with pytest.raises(AssertionError, match="must be set to midnight"):
        sandbox.outlook_create(room.user_id, **body)


@pytest.mark.parametrize("zone", ["W. Europe Standard Time", "UTC", "Pacific Standard Time"])
def test_an_all_day_outlook_meeting_books_the_rooms_own_days(sandbox, room, zone):
    made = sandbox.outlook_create(room.user_id, **all_day(10, 11, zone))

    sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert (reservation.direction, reservation.start, reservation.end) == (
        Direction.INBOUND,
        midnight(10),
        midnight(12),
    )
    entry = CompanyLogEntry.objects.get()
    assert (entry.event_id, entry.start, entry.end) == (made["id"], midnight(10), midnight(12))


def test_an_all_day_reservation_is_an_all_day_event(sandbox, room):
    since = last_request_id(sandbox)

    reservation = book(room, title="Off-site", start=midnight(10), end=midnight(12))

    [sent] = sent_events(sandbox, since)
    assert (sent["isAllDay"], sent["start"], sent["end"]) == (
        True,
        {"dateTime": "2026-12-10T00:00:00", "timeZone": "W. Europe Standard Time"},
        {"dateTime": "2026-12-12T00:00:00", "timeZone": "W. Europe Standard Time"},
    )
    [event] = sandbox.events(room.user_id)
    assert (event["isAllDay"], event["start"]["dateTime"], event["end"]["dateTime"]) == (
        True,
        "2026-12-10T00:00:00.0000000",
        "2026-12-12T00:00:00.0000000",
    )
    # Graph's answer (UTC midnights) is recognised as the event asked for: nothing more sent.
    assert len(graph_writes(sandbox, since)) == 1
    assert OutlookEvent.objects.get().pushed["isAllDay"] is True

    sync_down(room.pk)  # its own event read back changes nothing
    reservation.refresh_from_db()
    assert (reservation.start, reservation.end) == (midnight(10), midnight(12))
    assert len(graph_writes(sandbox, since)) == 1


def test_a_reservation_moved_off_midnight_is_no_longer_all_day(sandbox, room):
    reservation = book(room, title="Off-site", start=midnight(10), end=midnight(11))
    since = last_request_id(sandbox)

    reservation.start = midnight(10) + dt.timedelta(hours=9)
    reservation.end = midnight(10) + dt.timedelta(hours=17)
    reservation.save()

    [sent] = sent_events(sandbox, since)
    assert (sent["isAllDay"], sent["start"]["dateTime"], sent["end"]["dateTime"]) == (
        False,
        "2026-12-10T09:00:00",
        "2026-12-10T17:00:00",
    )
    [event] = sandbox.events(room.user_id)
    assert (event["isAllDay"], event["start"]["dateTime"]) == (
        False,
        "2026-12-10T08:00:00.0000000",
    )


def test_the_location_zone_decides_what_a_whole_day_is(sandbox, tenant):
    from tests.sync_helpers import connected_room

    tokyo = connected_room(sandbox, tenant, name="Sakura")
    tokyo.resource.location.time_zone = "Asia/Tokyo"
    tokyo.resource.location.save()
    since = last_request_id(sandbox)
    tokyo_midnight = dt.datetime(2026, 12, 10, tzinfo=ZoneInfo("Asia/Tokyo"))

    factories.ReservationFactory(
        resource=tokyo.resource, start=tokyo_midnight, end=tokyo_midnight + dt.timedelta(days=1)
    )

    [sent] = sent_events(sandbox, since)
    assert (sent["isAllDay"], sent["start"]) == (
        True,
        {"dateTime": "2026-12-10T00:00:00", "timeZone": "Tokyo Standard Time"},
    )
