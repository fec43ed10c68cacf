"""Find a free room: Bookbridge's reservations and the rooms' Outlook free/busy (getSchedule
in the sandbox), through the service, the API and the admin page."""

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import ReservationStatus
from syncconnections import availability, connection_setup
from syncconnections.models import SyncConnection, UserType
from tests import factories
from tests.helpers import client_for, member_of

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = dt.datetime(2026, 12, 7, 10, tzinfo=AMSTERDAM)
END = dt.datetime(2026, 12, 7, 11, tzinfo=AMSTERDAM)


def at(hour, minute=0):
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=AMSTERDAM)


def utc(hour, minute=0):
    moment = at(hour, minute).astimezone(dt.UTC)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def outlook(sandbox, room, subject, start, end, **extra):
    """An event an Outlook user put in the room's calendar (Bookbridge has not read it)."""
    sandbox.outlook_create(
        room.mailbox_email, subject=subject, start=utc(*start), end=utc(*end), **extra
    )


def address(name):
    return f"room.{name.lower()}@contoso.test"


def connect(sandbox, tenant, room):
    """A validated, active connection to the room's sandbox mailbox."""
    sandbox.mailbox(room.mailbox_email)
    link = SyncConnection.objects.create(
        tenant=tenant,
        user_id=room.mailbox_email,
        resource=room,
        user_type=UserType.RESOURCE,
        activate_after_validation=True,
    )
    assert connection_setup.validate(link.pk).valid


def connected_rows(sandbox, tenant, location, count, prefix="Room"):
    """`count` rooms whose connections are in use, made directly (no Graph calls but one
    seed of their mailboxes)."""
    rooms = [
        factories.ResourceFactory(
            location=location, name=f"{prefix} {n:03}", mailbox_email=address(f"{prefix}{n}")
        )
        for n in range(count)
    ]
    sandbox.seed(rooms=[{"address": r.mailbox_email} for r in rooms])
    SyncConnection.objects.bulk_create(
        SyncConnection(
            tenant=tenant,
            user_id=r.mailbox_email,
            resource=r,
            user_type=UserType.RESOURCE,
            valid=True,
            active=True,
            calendar_id="calendar",
        )
        for r in rooms
    )
    return rooms


@pytest.fixture
def location():
    return factories.LocationFactory(name="Utrecht HQ", time_zone="Europe/Amsterdam")


@pytest.fixture
def rooms(sandbox, tenant, location):
    """Five active rooms (and an inactive one) with a mix of Bookbridge and Outlook bookings
    around 10:00-11:00 on 7 December."""

    def room(name, capacity):
        return factories.ResourceFactory(
            location=location, name=name, capacity=capacity, mailbox_email=address(name)
        )

    found = {
        "boardroom": room("Boardroom", 12),
        "maas": room("Maas", 6),
        "rijn": room("Rijn", 4),
        "vecht": room("Vecht", 20),
        "zolder": room("Zolder", None),
    }
    factories.ResourceFactory(location=location, name="Kelder", capacity=30, is_active=False)
    for name in ("boardroom", "maas", "rijn", "zolder"):
        connect(sandbox, tenant, found[name])
    book = factories.ReservationFactory
    # Pushed to its Outlook calendar as well: the Outlook copy must not be named twice.
    found["sales"] = book(
        resource=found["boardroom"], title="Sales sync", start=at(9, 30), end=at(10, 30)
    )
    found["planning"] = book(
        resource=found["vecht"],
        title="Planning",
        start=at(10, 45),
        end=at(12),
        status=ReservationStatus.OPTION,
    )
    book(
        resource=found["rijn"],
        title="Called off",
        start=at(10),
        end=at(11),
        status=ReservationStatus.CANCELLED,
    )
    outlook(sandbox, found["boardroom"], "Visitors", (10, 40), (10, 50))
    outlook(sandbox, found["maas"], "Hiring panel", (10, 15), (11, 15))
    outlook(sandbox, found["rijn"], "Focus time", (10,), (11,), showAs="free")
    outlook(sandbox, found["rijn"], "Breakfast", (9,), (10,))
    outlook(sandbox, found["zolder"], "Doctor", (10,), (10, 30), sensitivity="private")
    sandbox.clear_requests()
    return found


def summary(results):
    return [(r.resource.name, r.free, r.summary, r.outlook, r.reasons) for r in results]


def schedule_calls(sandbox):
    return [r for r in sandbox.requests() if r["path"].endswith("/calendar/getSchedule")]


def expected(rooms):
    sales, planning = rooms["sales"].pk, rooms["planning"].pk
    return [
        (
            "Boardroom",
            False,
            "Busy",
            "checked",
            [
                f"Boardroom is booked 09:30–10:30 by 'Sales sync' (#{sales})",
                "Boardroom is busy in Outlook 10:40–10:50: 'Visitors'",
            ],
        ),
        ("Maas", False, "Busy", "checked", ["Maas is busy in Outlook 10:15–11:15: 'Hiring panel'"]),
        ("Rijn", True, "Free", "checked", []),
        (
            "Vecht",
            False,
            "Busy",
            "not connected",
            [f"Vecht is booked 10:45–12:00 by 'Planning' (#{planning})"],
        ),
        ("Zolder", False, "Busy", "checked", ["Zolder is busy in Outlook 10:00–10:30 (private)"]),
    ]


def test_free_and_busy_rooms_with_what_is_in_the_way(sandbox, location, rooms):
    results = availability.free_rooms(location, START, END)

    assert summary(results) == expected(rooms)
    [call] = schedule_calls(sandbox)
    assert sorted(call["body"]["schedules"]) == sorted(
        address(n) for n in ("Boardroom", "Maas", "Rijn", "Zolder")
    )


def test_the_outlook_copy_of_our_own_reservation_is_there(sandbox, rooms):
    # What the test above relies on: the reservation was pushed to the room's calendar.
    subjects = [e["subject"] for e in sandbox.events(address("Boardroom"))]

    assert sorted(subjects) == ["Sales sync", "Visitors"]


def test_capacity_leaves_out_smaller_rooms_and_those_of_unknown_size(location, rooms):
    results = availability.free_rooms(location, START, END, capacity=6)

    assert [r.resource.name for r in results] == ["Boardroom", "Maas", "Vecht"]


def test_a_window_touching_a_booking_is_free(sandbox, location, rooms):
    results = availability.free_rooms(location, at(12), at(13))

    assert [(r.resource.name, r.free) for r in results] == [
        ("Boardroom", True),
        ("Maas", True),
        ("Rijn", True),
        ("Vecht", True),
        ("Zolder", True),
    ]


def test_a_failed_call_leaves_its_rooms_unchecked_never_free(sandbox, location, rooms):
    sandbox.fault(
        "getSchedule", status=500, code="ErrorInternalServerError", message="Something broke"
    )

    results = availability.free_rooms(location, START, END)

    unavailable = "Outlook free/busy unavailable: Something broke"
    assert [(r.resource.name, r.free, r.summary, r.outlook, r.reasons[-1]) for r in results] == [
        ("Boardroom", False, "Busy", "unavailable", unavailable),
        ("Maas", False, "Free in Bookbridge; Outlook not checked", "unavailable", unavailable),
        ("Rijn", False, "Free in Bookbridge; Outlook not checked", "unavailable", unavailable),
        (
            "Vecht",
            False,
            "Busy",
            "not connected",
            f"Vecht is booked 10:45–12:00 by 'Planning' (#{rooms['planning'].pk})",
        ),
        ("Zolder", False, "Free in Bookbridge; Outlook not checked", "unavailable", unavailable),
    ]
    assert len(results[0].reasons) == 2  # the reservation is still named


def test_a_room_gone_from_microsoft_365_is_unchecked(sandbox, tenant, location):
    gone, other = connected_rows(sandbox, tenant, location, 2)
    gone.mailbox_email = "room.gone@contoso.test"
    gone.save()
    SyncConnection.objects.filter(resource=gone).update(user_id=gone.mailbox_email)

    results = availability.free_rooms(location, START, END)

    assert [(r.resource, r.free, r.outlook, r.reasons) for r in results] == [
        (
            gone,
            False,
            "unavailable",
            [
                "Outlook free/busy unavailable: Unable to resolve e-mail address "
                "room.gone@contoso.test to an Active Directory object."
            ],
        ),
        (other, True, "checked", []),
    ]
    # It could not ask (404), so the next room of the call did.
    assert [(c["status"], c["path"]) for c in schedule_calls(sandbox)] == [
        (404, "/v1.0/users/room.gone@contoso.test/calendar/getSchedule"),
        (200, f"/v1.0/users/{other.mailbox_email}/calendar/getSchedule"),
    ]


def test_twenty_rooms_a_call_all_at_once(sandbox, tenant, location):
    connected_rows(sandbox, tenant, location, 45)

    results = availability.free_rooms(location, START, END)

    assert len(results) == 45 and all(r.free and r.outlook == "checked" for r in results)
    calls = schedule_calls(sandbox)
    assert sorted(len(c["body"]["schedules"]) for c in calls) == [5, 20, 20]
    # Each asks as its first room: no mailbox's concurrency limit holds them back.
    assert len({c["path"] for c in calls}) == 3
    assert {c["status"] for c in calls} == {200}


def test_one_failed_call_of_several_spoils_only_its_rooms(sandbox, tenant, location):
    connected_rows(sandbox, tenant, location, 45)
    sandbox.fault("getSchedule", status=500, message="Busy server")

    results = availability.free_rooms(location, START, END)

    unchecked = [r for r in results if r.outlook == "unavailable"]
    assert len(unchecked) in (5, 20)
    assert all(not r.free for r in unchecked)
    assert all(r.free for r in results if r not in unchecked)
    assert len(schedule_calls(sandbox)) == 3


def queries(location):
    with CaptureQueriesContext(connection) as captured:
        availability.free_rooms(location, START, END)
    return len(captured)


def test_the_queries_do_not_grow_with_the_rooms(sandbox, tenant):
    few, many = factories.LocationFactory(), factories.LocationFactory()
    for location, count in ((few, 3), (many, 30)):
        for room in connected_rows(sandbox, tenant, location, count, prefix=location.name):
            factories.ReservationFactory(resource=room, start=at(10), end=at(10, 30))

    assert queries(few) == queries(many) == 4  # rooms, reservations, connections, tenants


def test_a_window_too_long_for_outlook_is_refused(location):
    with pytest.raises(availability.WindowError, match="less than 62 days"):
        availability.free_rooms(location, START, START + dt.timedelta(days=62))


# --- the API -------------------------------------------------------------------------------


def api_get(user, **params):
    return client_for(user).get(f"/api/availability/?{urlencode(params)}")


def test_the_api_answers_for_each_room(sandbox, location, rooms):
    response = api_get(
        member_of("Support"),
        location=location.pk,
        start="2026-12-07T10:00:00+01:00",
        end="2026-12-07T11:00:00+01:00",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["location"], body["start"], body["end"], body["capacity"]) == (
        location.pk,
        "2026-12-07T10:00:00+01:00",
        "2026-12-07T11:00:00+01:00",
        None,
    )
    assert [
        (r["name"], r["free"], r["summary"], r["outlook"], r["reasons"]) for r in body["rooms"]
    ] == expected(rooms)
    assert body["rooms"][2] == {
        "resource": rooms["rijn"].pk,
        "name": "Rijn",
        "capacity": 4,
        "free": True,
        "summary": "Free",
        "outlook": "checked",
        "reasons": [],
    }


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"start": "2026-12-07T11:00:00+01:00", "end": "2026-12-07T10:00:00+01:00"},
            "end",
            "end: The end must be after the start.",
        ),
        (
            {"start": "2026-12-07T10:00:00+01:00", "end": "2027-02-07T10:00:00+01:00"},
            "end",
            "end: Look at less than 62 days at a time: Outlook's free/busy (getSchedule) "
            "answers no longer period.",
        ),
        (
            {"location": 999999, "start": "2026-12-07T10:00", "end": "2026-12-07T11:00"},
            "location",
            "location: There is no location 999999.",
        ),
        ({"start": "2026-12-07T10:00"}, "end", "end: This field is required."),
    ],
)
def test_the_api_refuses_bad_input(location, params, field, message):
    response = api_get(member_of("Support"), **{"location": location.pk, **params})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["field"], error["message"]) == (400, field, message)


def test_the_api_needs_view_reservation(location):
    user = factories.UserFactory(is_staff=True)

    response = api_get(user, location=location.pk, start="2026-12-07T10:00", end="2026-12-07T11:00")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "You need the permission bookings.view_reservation for this."
    )


# --- the admin page ----------------------------------------------------------------------------

PAGE = "/admin/bookings/reservation/free-rooms/"


def page(client, location, **params):
    query = {"location": location.pk, "day": "2026-12-07", "start": "10:00", "end": "11:00"}
    return client.get(PAGE, {**query, **params})


def book_url(room):
    query = urlencode(
        {
            "resource": room.pk,
            "start": "2026-12-07T10:00:00+01:00",
            "end": "2026-12-07T11:00:00+01:00",
        }
    )
    return f"/admin/bookings/reservation/add/?{query}"


def test_the_page_lists_the_rooms_with_a_book_link_for_the_free_ones(
    client, sandbox, location, rooms
):
    client.force_login(member_of("Back office"))

    response = page(client, location)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.resource.name, r.summary, url) for r, url in rows] == [
        ("Boardroom", "Busy", ""),
        ("Maas", "Busy", ""),
        ("Rijn", "Free", book_url(rooms["rijn"])),
        ("Vecht", "Busy", ""),
        ("Zolder", "Busy", ""),
    ]
    html = response.content.decode()
    assert f'href="{book_url(rooms["rijn"])}"'.replace("&", "&amp;") in html
    assert "Maas is busy in Outlook 10:15–11:15: &#x27;Hiring panel&#x27;" in html
    assert "Utrecht HQ, Monday 7 December 2026, 10:00–11:00 (Europe/Amsterdam)" in html


def test_the_book_link_fills_in_the_reservation_form(client, sandbox, location, rooms):
    client.force_login(member_of("Back office"))

    response = client.get(book_url(rooms["rijn"]))

    assert response.status_code == 200
    initial = response.context["adminform"].form.initial
    assert (initial["resource"], initial["start"], initial["end"]) == (
        str(rooms["rijn"].pk),
        START,
        END,
    )
    assert initial["start"].tzinfo is not None


def test_readers_who_may_not_book_get_no_book_link(client, sandbox, location, rooms):
    client.force_login(member_of("Support"))

    response = page(client, location)

    assert response.status_code == 200
    assert [url for _, url in response.context["rows"]] == [""] * 5
    assert "/admin/bookings/reservation/add/" not in response.content.decode()


def test_the_page_needs_view_reservation(client, location):
    client.force_login(factories.UserFactory(is_staff=True))

    assert page(client, location).status_code == 403


def test_the_page_says_what_is_wrong_with_the_times(client, location):
    client.force_login(member_of("Support"))

    response = page(client, location, start="11:00", end="10:00")

    assert response.status_code == 200
    assert response.context["form"].errors == {"end": ["The end must be after the start."]}
    assert "rows" not in response.context


def test_the_index_and_the_reservation_list_link_the_page(client):
    client.force_login(member_of("Support"))

    for url in ("/admin/", "/admin/bookings/reservation/"):
        assert f'href="{PAGE}"' in client.get(url).content.decode()
