"""The Planner admin page: a location's resources by hour for a day, and beside them what
the rooms' Outlook calendars hold (read through the sandbox), with the differences."""

import datetime as dt
import uuid
from collections import namedtuple
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bookings.models import Reservation, ReservationStatus
from syncconnections import graph
from syncconnections.models import OutlookEvent
from syncconnections.planner import (
    CANCELLED_IN_BOOKBRIDGE,
    CANCELLED_IN_OUTLOOK,
    MISSING_IN_OUTLOOK,
    NOT_IN_BOOKBRIDGE,
    OutlookItem,
    build_planner,
    compare,
)
from tests import factories
from tests.helpers import count_queries
from tests.sync_helpers import (
    AMSTERDAM,
    ORGANIZER,
    at,
    book,
    connected_room,
    graph_time,
    last_request_id,
)

pytestmark = pytest.mark.django_db
DAY = "2026-12-07"
MISSING, NOT_HERE = MISSING_IN_OUTLOOK, NOT_IN_BOOKBRIDGE


def url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("admin:syncconnections_planner") + (f"?{query}" if query else "")


def planner_user(username="planner"):
    user = factories.UserFactory(username=username)
    user.user_permissions.add(Permission.objects.get(codename="view_reservation"))
    return user


Shown = namedtuple("Shown", "resource track title css hours href difference")


class Blocks(HTMLParser):
    """The blocks of a rendered planner, each as Shown: its row's resource, its track
    ("bookbridge" or "outlook"), title, classes after "bb-block", hours, link, difference."""

    def __init__(self, html):
        super().__init__()
        self.found, self.resource, self.track, self.block, self.in_title = [], "", "", None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "tr" and "data-resource" in attrs:
            self.resource = attrs["data-resource"]
            self.track = "outlook" if "bb-outlook-row" in classes else "bookbridge"
        elif "bb-block" in classes:
            self.block = {
                "resource": self.resource,
                "track": self.track,
                "css": " ".join(c for c in classes if c != "bb-block"),
                "hours": attrs["data-hours"],
                "href": attrs.get("href", ""),
                "difference": attrs.get("data-difference", ""),
            }
        elif self.block and classes == ["bb-title"]:
            self.in_title = True

    def handle_data(self, data):
        if self.in_title:
            self.found.append(Shown(title=data, **self.block))
            self.block, self.in_title = None, False


def shown(response):
    return Blocks(response.content.decode()).found


def change_url(reservation):
    return f"/admin/bookings/reservation/{reservation.pk}/change/"


# --- the grid ---------------------------------------------------------------------------------


def test_the_grid_places_each_reservation_in_its_resource_row_and_hours_by_status(client):
    location = factories.LocationFactory(name="Zuidas", time_zone="Europe/Amsterdam")
    atrium = factories.ResourceFactory(location=location, name="Atrium")
    # A shared space: its bookings may overlap, and stack in lanes.
    boardroom = factories.ResourceFactory(location=location, name="Boardroom", shared_space=True)
    factories.ResourceFactory(location=location, name="Cellar")
    factories.ResourceFactory(location=location, name="Old wing", is_active=False)
    elsewhere = factories.ResourceFactory(name="Elsewhere")

    def reserve(resource, title, start, end, status):
        return factories.ReservationFactory(
            resource=resource, title=title, start=start, end=end, status=status
        )

    early = reserve(atrium, "Breakfast", at(7, 6, 30), at(7, 8), ReservationStatus.CONCEPT)
    late = reserve(atrium, "Late drinks", at(7, 21), at(7, 23), ReservationStatus.CANCELLED)
    kickoff = reserve(boardroom, "Kick-off", at(7, 9), at(7, 10, 30), ReservationStatus.CONFIRMED)
    overlap = reserve(boardroom, "Interviews", at(7, 10), at(7, 11), ReservationStatus.OPTION)
    done = reserve(boardroom, "Review", at(7, 13), at(7, 14), ReservationStatus.COMPLETED)
    closed = reserve(boardroom, "Audit", at(7, 15, 15), at(7, 16, 45), ReservationStatus.CLOSED)
    overnight = reserve(boardroom, "Hackathon", at(6, 20), at(7, 2), ReservationStatus.CONFIRMED)
    reserve(boardroom, "Tomorrow", at(8, 9), at(8, 10), ReservationStatus.CONFIRMED)
    reserve(elsewhere, "Other building", at(7, 9), at(7, 10), ReservationStatus.CONFIRMED)
    client.force_login(planner_user())

    response = client.get(url(location=location.pk, day=DAY))

    assert response.status_code == 200
    planner = response.context["planner"]
    assert [row.resource.name for row in planner.rows] == ["Atrium", "Boardroom", "Cellar"]
    assert planner.hours == list(range(0, 23))  # widened: from midnight (overnight) to 23:00
    blocks = shown(response)
    assert [(b.resource, b.track, b.title, b.css, b.hours) for b in blocks] == [
        ("Atrium", "bookbridge", "Breakfast", "bb-concept", "6 7"),
        ("Atrium", "bookbridge", "Late drinks", "bb-cancelled", "21 22"),
        ("Boardroom", "bookbridge", "Hackathon", "bb-confirmed", "0 1"),
        ("Boardroom", "bookbridge", "Kick-off", "bb-confirmed bb-overlap", "9 10"),
        ("Boardroom", "bookbridge", "Interviews", "bb-option bb-overlap", "10"),
        ("Boardroom", "bookbridge", "Review", "bb-completed", "13"),
        ("Boardroom", "bookbridge", "Audit", "bb-closed", "15 16"),
    ]
    assert [b.href for b in blocks] == [
        change_url(r) for r in (early, late, overnight, kickoff, overlap, done, closed)
    ]
    assert [b.difference for b in blocks] == [""] * 7
    boardroom_row = planner.rows[1]
    assert [(b.title, b.times, b.lane) for b in boardroom_row.bookbridge.blocks] == [
        ("Hackathon", "06 Dec 20:00–02:00", 0),
        ("Kick-off", "09:00–10:30", 0),
        ("Interviews", "10:00–11:00", 1),  # overlaps Kick-off: stacked below it
        ("Review", "13:00–14:00", 0),
        ("Audit", "15:15–16:45", 0),
    ]
    assert boardroom_row.bookbridge.lanes == 2


def test_without_a_choice_the_page_shows_the_first_location_today_in_its_time_zone(client):
    factories.LocationFactory(name="B Tokyo", time_zone="Asia/Tokyo")
    first = factories.LocationFactory(name="A Auckland", time_zone="Pacific/Auckland")
    client.force_login(planner_user())

    response = client.get(url())

    assert response.status_code == 200
    assert response.context["location"] == first
    assert response.context["day"] == dt.datetime.now(ZoneInfo("Pacific/Auckland")).date()
    assert response.context["with_outlook"] is False


# --- Office 365 beside Bookbridge -------------------------------------------------------------


def two_rooms_in_one_location(sandbox, tenant, room):
    other = connected_room(sandbox, tenant, "Rembrandt")
    other.resource.location = room.resource.location
    other.resource.save()
    return other


def test_differences_between_the_two_views_are_detected_for_a_seeded_mismatch(
    sandbox, tenant, room, client
):
    rembrandt = two_rooms_in_one_location(sandbox, tenant, room)
    location = room.resource.location
    factories.ResourceFactory(location=location, name="Library")  # no connection
    matched = book(room, title="Matched pair")
    lost = book(room, title="Lost event", start=at(7, 13), end=at(7, 14))
    sandbox.outlook_delete(room.user_id, OutlookEvent.objects.get(reservation=lost).event_id)
    walk_in = sandbox.outlook_create(
        room.user_id,
        subject="Walk-in",
        start=graph_time(at(7, 15)),
        end=graph_time(at(7, 16)),
        organizerEmail=ORGANIZER,
    )
    adopted = book(rembrandt, title="Known by transactionId")
    OutlookEvent.objects.filter(reservation=adopted).delete()  # matched by its UUID alone
    client.force_login(planner_user())
    since = last_request_id(sandbox)

    response = client.get(url(location=location.pk, day=DAY, o365=1))

    assert response.status_code == 200
    planner = response.context["planner"]
    assert [(r.name, b.title, b.difference) for r, b in planner.differences] == [
        ("Boardroom", "Lost event", MISSING_IN_OUTLOOK),
        ("Boardroom", "Walk-in", NOT_IN_BOOKBRIDGE),
    ]
    [event_of_matched] = [e for e in sandbox.events(room.user_id) if e["subject"] == "Matched pair"]
    blocks = shown(response)
    assert [(b.resource, b.track, b.title, b.css, b.hours, b.difference) for b in blocks] == [
        ("Boardroom", "bookbridge", "Matched pair", "bb-confirmed", "10", ""),
        ("Boardroom", "bookbridge", "Lost event", "bb-confirmed bb-difference", "13", MISSING),
        ("Boardroom", "outlook", "Matched pair", "bb-outlook", "10", ""),
        ("Boardroom", "outlook", "Walk-in", "bb-outlook bb-difference", "15", NOT_HERE),
        ("Rembrandt", "bookbridge", "Known by transactionId", "bb-confirmed", "10", ""),
        ("Rembrandt", "outlook", "Known by transactionId", "bb-outlook", "10", ""),
    ]
    assert [b.href for b in blocks] == [
        change_url(matched),
        change_url(lost),
        "",
        "",
        change_url(adopted),
        "",
    ]
    rows = {row.resource.name: row for row in planner.rows}
    assert [b.event_id for b in rows["Boardroom"].outlook.blocks] == [
        event_of_matched["id"],
        walk_in["id"],
    ]
    assert (rows["Library"].outlook.message, rows["Library"].outlook.blocks) == (
        "not connected",
        [],
    )
    window = {"startDateTime": "2026-12-06T23:00:00Z", "endDateTime": "2026-12-07T23:00:00Z"}
    calls = [
        (r["method"], r["path"], r["inner"], {k: r["query"].get(k) for k in window})
        for r in sandbox.requests(since)
    ]
    assert calls == [
        (
            "GET",
            f"/v1.0/users/{room.user_id}/calendars/{room.calendar_id}/calendarView",
            True,
            window,
        ),
        (
            "GET",
            f"/v1.0/users/{rembrandt.user_id}/calendars/{rembrandt.calendar_id}/calendarView",
            True,
            window,
        ),
        ("POST", "/v1.0/$batch", False, {"startDateTime": None, "endDateTime": None}),
    ]
    assert "2 differences between Bookbridge and Office 365" in response.content.decode()


def test_a_room_whose_calendar_cannot_be_read_shows_the_error_in_its_row(
    sandbox, tenant, room, client
):
    rembrandt = two_rooms_in_one_location(sandbox, tenant, room)
    book(room, title="Readable")
    book(rembrandt, title="Unknown in Outlook")
    sandbox.fault(
        r"^/v1\.0/users/room\.rembrandt@contoso\.test/.*calendarView$",
        status=403,
        code="ErrorAccessDenied",
        message="Access is denied. Check credentials and try again.",
    )
    client.force_login(planner_user())
    since = last_request_id(sandbox)

    response = client.get(url(location=room.resource.location.pk, day=DAY, o365=1))

    assert response.status_code == 200
    [refused] = [r for r in sandbox.requests(since) if r["status"] == 403]
    rows = {row.resource.name: row for row in response.context["planner"].rows}
    message = (
        "The calendar could not be read from Microsoft 365: 403 ErrorAccessDenied: Access is "
        f"denied. Check credentials and try again. (request-id {refused['request_id']})"
    )
    assert (rows["Rembrandt"].outlook.failed, rows["Rembrandt"].outlook.message) == (True, message)
    assert rows["Rembrandt"].outlook.blocks == []
    # What a calendar holds is unknown when it cannot be read: nothing is called missing.
    assert [b.difference for b in rows["Rembrandt"].bookbridge.blocks] == [""]
    assert (
        rows["Boardroom"].outlook.failed,
        [b.title for b in rows["Boardroom"].outlook.blocks],
    ) == (
        False,
        ["Readable"],
    )
    assert f'<div class="bb-track-message bb-error">{message}</div>' in response.content.decode()


def test_a_failed_batch_call_shows_its_error_in_every_room_of_the_tenant(
    sandbox, tenant, room, client
):
    two_rooms_in_one_location(sandbox, tenant, room)
    sandbox.fault(r"^/v1\.0/\$batch$", status=400, code="BadRequest", message="Invalid batch.")
    client.force_login(planner_user())
    since = last_request_id(sandbox)

    response = client.get(url(location=room.resource.location.pk, day=DAY, o365=1))

    assert response.status_code == 200
    [refused] = sandbox.requests(since)
    message = (
        "The calendar could not be read from Microsoft 365: 400 BadRequest: Invalid batch. "
        f"(request-id {refused['request_id']})"
    )
    assert [
        (row.resource.name, row.outlook.failed, row.outlook.message)
        for row in response.context["planner"].rows
    ] == [("Boardroom", True, message), ("Rembrandt", True, message)]


def test_a_calendar_view_of_several_pages_is_read_to_the_end(sandbox, room, monkeypatch):
    monkeypatch.setattr(graph, "CALENDAR_VIEW_PAGE", 2)
    sandbox.outlook_create_many(
        room.user_id,
        [
            {
                "subject": f"Walk-in {hour}",
                "start": graph_time(at(7, hour)),
                "end": graph_time(at(7, hour, 30)),
                "organizerEmail": ORGANIZER,
            }
            for hour in (8, 9, 10, 11, 12)
        ],
    )
    since = last_request_id(sandbox)

    planner = build_planner(room.resource.location, dt.date(2026, 12, 7), with_outlook=True)

    [row] = planner.rows
    assert [b.title for b in row.outlook.blocks] == [f"Walk-in {h}" for h in (8, 9, 10, 11, 12)]
    assert [
        (r["method"], r["query"].get("$skip"), r["inner"]) for r in sandbox.requests(since)
    ] == [
        ("GET", None, True),
        ("POST", None, False),
        ("GET", "2", False),
        ("GET", "4", False),
    ]


# --- comparing ------------------------------------------------------------------------------


def reservation(pk, status=ReservationStatus.CONFIRMED):
    return Reservation(pk=pk, uuid=uuid.uuid4(), status=status, title=f"R{pk}")


def item(event_id, transaction_id="", cancelled=False):
    start = dt.datetime(2026, 12, 7, 10, tzinfo=AMSTERDAM)
    return OutlookItem(
        event_id, event_id, start, start + dt.timedelta(hours=1), transaction_id, cancelled
    )


def test_comparing_flags_what_only_one_side_holds_and_cancellations_on_one_side():
    linked, by_uuid = reservation(1), reservation(2)
    missing, cancelled_there = reservation(3), reservation(4)
    cancelled_here = reservation(5, ReservationStatus.CANCELLED)
    both_cancelled = reservation(6, ReservationStatus.CANCELLED)
    gone_and_cancelled = reservation(7, ReservationStatus.CANCELLED)
    items = [
        item("e-linked"),
        item("e-by-uuid", transaction_id=str(by_uuid.uuid)),
        item("e-cancelled-there", cancelled=True),
        item("e-cancelled-here"),
        item("e-both-cancelled", cancelled=True),
        item("e-stranger"),
        item("e-cancelled-stranger", cancelled=True),
    ]
    links = {
        1: {"e-linked"},
        3: {"e-deleted-in-outlook"},
        4: {"e-cancelled-there"},
        5: {"e-cancelled-here"},
        6: {"e-both-cancelled"},
        7: {"e-gone"},
    }

    found = compare(
        [
            linked,
            by_uuid,
            missing,
            cancelled_there,
            cancelled_here,
            both_cancelled,
            gone_and_cancelled,
        ],
        items,
        links,
    )

    assert found.reservations == {3: MISSING_IN_OUTLOOK, 4: CANCELLED_IN_OUTLOOK}
    assert found.events == {
        "e-cancelled-here": CANCELLED_IN_BOOKBRIDGE,
        "e-stranger": NOT_IN_BOOKBRIDGE,
    }


# --- permissions ------------------------------------------------------------------------------


def test_only_staff_who_may_view_reservations_see_the_planner(client):
    location = factories.LocationFactory()
    staff_without = factories.UserFactory(username="no-reservations")
    not_staff = planner_user("not-staff")
    not_staff.is_staff = False
    not_staff.save()
    allowed = planner_user()

    anonymous = client.get(url())
    client.force_login(staff_without)
    forbidden = [client.get(url()), client.get(url(location=location.pk, day=DAY, o365=1))]
    client.force_login(not_staff)
    outsider = client.get(url())
    client.force_login(allowed)
    shown = [client.get(url()), client.get(url(location=location.pk, day=DAY, o365=1))]

    login = reverse("admin:login")
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"{login}?next={url()}")
    assert [r.status_code for r in forbidden] == [403, 403]
    assert (outsider.status_code, outsider["Location"]) == (302, f"{login}?next={url()}")
    assert [r.status_code for r in shown] == [200, 200]


# --- queries ----------------------------------------------------------------------------------


def fill(location, rooms, per_room):
    for _ in range(rooms):
        resource = factories.ResourceFactory(location=location)
        for hour in range(per_room):
            factories.ReservationFactory(
                resource=resource, start=at(7, 8 + hour), end=at(7, 9 + hour)
            )


def test_the_number_of_queries_does_not_grow_with_resources_and_reservations(client):
    small, large = factories.LocationFactory(name="Small"), factories.LocationFactory(name="Large")
    fill(small, rooms=1, per_room=1)
    fill(large, rooms=6, per_room=5)
    client.force_login(planner_user())
    client.get(url())  # the session and permission caches are warm from here on

    counts = [count_queries(client, url(location=loc.pk, day=DAY)) for loc in (small, large)]

    # session, user, user's permissions, group permissions, locations, reservations,
    # connections, resources
    assert counts == [9, 9]


def test_the_office_365_view_makes_as_many_queries_for_many_rooms_as_for_one(
    sandbox, tenant, room, client
):
    location = room.resource.location
    for name in ("Rembrandt", "Vermeer", "Hals"):
        other = connected_room(sandbox, tenant, name)
        other.resource.location = location
        other.resource.save()
    other_location = factories.LocationFactory(name="Annex", time_zone="Europe/Amsterdam")
    lone = connected_room(sandbox, tenant, "Annex room")
    lone.resource.location = other_location
    lone.resource.save()
    for connection_ in (room, lone):
        book(connection_, title="Early")
        book(connection_, title="Late", start=at(7, 16), end=at(7, 17))
    client.force_login(planner_user())
    client.get(url())

    counts = [
        count_queries(client, url(location=loc.pk, day=DAY, o365=1))
        for loc in (other_location, location)
    ]

    # as above, plus the reservations' Outlook links
    assert counts == [10, 10]


def test_double_bookings_are_marked_and_every_booking_is_in_the_side_list(client):
    location = factories.LocationFactory(name="Zuidas", time_zone="Europe/Amsterdam")
    boardroom = factories.ResourceFactory(
        location=location,
        name="Boardroom",
        mailbox_email="room.boardroom@contoso.example",
        shared_space=True,  # where bookings may overlap (elsewhere the database refuses it)
    )
    factories.SyncConnectionFactory(
        resource=boardroom, user_id="room.boardroom@contoso.example", valid=True, active=True
    )

    def reserve(title, start, end, status=ReservationStatus.CONFIRMED):
        return factories.ReservationFactory(
            resource=boardroom, title=title, start=start, end=end, status=status
        )

    reserve("Sales sync", at(7, 9), at(7, 10))
    reserve("Quick call with the auditors", at(7, 9, 45), at(7, 10))  # 15 minutes
    reserve("Called off", at(7, 9), at(7, 10), ReservationStatus.CANCELLED)
    reserve("Lunch", at(7, 12), at(7, 13))
    client.force_login(planner_user())

    response = client.get(url(location=location.pk, day=DAY))

    agenda = [
        (block.title, block.times, block.overlaps)
        for _, block in response.context["planner"].agenda
    ]
    assert agenda == [
        ("Sales sync", "09:00–10:00", ["Quick call with the auditors"]),
        ("Called off", "09:00–10:00", []),
        ("Quick call with the auditors", "09:45–10:00", ["Sales sync"]),
        ("Lunch", "12:00–13:00", []),
    ]
    page = response.content.decode()
    assert "<td>overlaps Quick call with the auditors</td>" in page
    assert 'title="Quick call with the auditors, 09:45–10:00 (overlaps Sales sync)"' in page
    assert "room.<wbr>boardroom<wbr>@contoso.<wbr>example" in page
