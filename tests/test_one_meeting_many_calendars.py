"""One meeting, one reservation per room, however many connected calendars hold a copy.

Graph keeps a copy of a meeting in each calendar it touches (organizer's, each attendee's,
each room's), each with its own id and the same iCalUId (resources/event.md). The sandbox
places the copies as Exchange does; Bookbridge matches them on iCalUId."""

import itertools
import threading
import time

import pytest
from django.db import connections

from bookings.models import Direction, Reservation
from errors.models import SyncError
from syncconnections.inbound.apply import PageApplier
from syncconnections.inbound.delta import sync_down
from syncconnections.models import CompanyLogEntry, OutlookEvent
from tests.sync_helpers import (
    ORGANIZER,
    connected_room,
    connected_staff,
    graph_time,
    in_days,
    meeting,
)

pytestmark = pytest.mark.django_db


def held_by(subject, attendees, days=3, organizer=None):
    """A meeting (organized by the calendar's own user, unless `organizer` is given)."""
    body = {**meeting(subject, days=days), "attendees": attendees}
    body.pop("organizerEmail")
    return body | ({"organizerEmail": organizer} if organizer else {})


def invite(*rooms, required=()):
    return [{"emailAddress": {"address": r.user_id}, "type": "resource"} for r in rooms] + [
        {"emailAddress": {"address": a}, "type": "required"} for a in required
    ]


@pytest.fixture
def anna(sandbox, tenant):
    return connected_staff(sandbox, tenant)


@pytest.fixture
def garden(sandbox, tenant):
    return connected_room(sandbox, tenant, name="Garden")


def copy_in(sandbox, mailbox, subject):
    [copy] = [e for e in sandbox.events(mailbox) if e["subject"] == subject]
    return copy


def links():
    return {
        (link.sync_connection_id, link.event_id): link.reservation_id
        for link in OutlookEvent.objects.all()
    }


def test_the_sandbox_puts_a_copy_in_every_invited_calendar(sandbox, anna, room):
    made = sandbox.outlook_create(anna.user_id, **held_by("Design review", invite(room)))

    copy = copy_in(sandbox, room.user_id, "Design review")
    assert copy["id"] != made["id"]
    assert copy["iCalUId"] == made["iCalUId"]
    assert copy["organizer"]["emailAddress"]["address"] == anna.user_id
    assert (made["isOrganizer"], copy["isOrganizer"]) == (True, False)
    assert copy["transactionId"] is None


@pytest.mark.parametrize("order", ["organizer first", "room first"])
def test_a_meeting_in_a_users_and_a_rooms_calendar_is_one_reservation(sandbox, anna, room, order):
    made = sandbox.outlook_create(anna.user_id, **held_by("Design review", invite(room)))
    copy = copy_in(sandbox, room.user_id, "Design review")
    first, second = (anna, room) if order == "organizer first" else (room, anna)

    sync_down(first.pk)
    sync_down(second.pk)

    reservation = Reservation.objects.get()
    assert (reservation.resource, reservation.direction, reservation.title) == (
        room.resource,
        Direction.INBOUND,
        "Design review",
    )
    assert links() == {(anna.pk, made["id"]): reservation.pk, (room.pk, copy["id"]): reservation.pk}
    assert set(OutlookEvent.objects.values_list("ical_uid", flat=True)) == {made["iCalUId"]}
    assert sorted(
        CompanyLogEntry.objects.values_list("sync_connection_id", "operation", "reservation_id")
    ) == sorted([(anna.pk, "created", reservation.pk), (room.pk, "created", reservation.pk)])
    assert list(SyncError.objects.all()) == []


def test_the_meeting_moved_by_its_organizer_moves_its_one_reservation(sandbox, anna, room):
    made = sandbox.outlook_create(anna.user_id, **held_by("Design review", invite(room)))
    sync_down(anna.pk)
    sync_down(room.pk)
    later, later_end = in_days(5, 15)

    sandbox.outlook_update(
        anna.user_id, made["id"], start=graph_time(later), end=graph_time(later_end)
    )
    sync_down(room.pk)
    sync_down(anna.pk)

    reservation = Reservation.objects.get()
    assert (reservation.start, reservation.end) == (later, later_end)


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["anna", "room", "garden"])), ids=lambda o: "-".join(o)
)
def test_a_meeting_with_two_connected_rooms_is_one_reservation_per_room(
    sandbox, anna, room, garden, order
):
    made = sandbox.outlook_create(anna.user_id, **held_by("All hands", invite(room, garden)))
    calendars = {"anna": anna, "room": room, "garden": garden}

    for name in order:
        sync_down(calendars[name].pk)
    for name in order:  # and again: nothing new
        sync_down(calendars[name].pk)

    by_room = {r.resource_id: r for r in Reservation.objects.all()}
    assert set(by_room) == {room.resource_id, garden.resource_id}
    found = links()
    assert found[(room.pk, copy_in(sandbox, room.user_id, "All hands")["id"])] == (
        by_room[room.resource_id].pk
    )
    assert found[(garden.pk, copy_in(sandbox, garden.user_id, "All hands")["id"])] == (
        by_room[garden.resource_id].pk
    )
    assert found[(anna.pk, made["id"])] in {r.pk for r in by_room.values()}
    assert len(found) == 3


def test_a_meeting_from_outside_for_a_user_and_a_room_is_one_reservation(sandbox, anna, room):
    """An external organizer's invitation: each tenant calendar it reaches has a copy."""
    made = sandbox.outlook_create(
        room.user_id,
        **held_by("Supplier visit", invite(room, required=[anna.user_id]), organizer=ORGANIZER),
    )

    sync_down(anna.pk)
    sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert reservation.resource == room.resource
    assert copy_in(sandbox, anna.user_id, "Supplier visit")["iCalUId"] == made["iCalUId"]
    assert OutlookEvent.objects.filter(reservation=reservation).count() == 2


@pytest.mark.django_db(transaction=True)
def test_calendars_synced_at_the_same_time_book_each_meeting_once(sandbox, tenant, monkeypatch):
    # Each sync dawdles after deciding what is new, before it commits: the other one decides
    # meanwhile, unless it has to wait for the first.
    original = PageApplier._join_meetings

    def slow(self):
        original(self)
        time.sleep(0.5)

    monkeypatch.setattr(PageApplier, "_join_meetings", slow)
    anna = connected_staff(sandbox, tenant)
    room = connected_room(sandbox, tenant)
    for number in range(8):
        sandbox.outlook_create(
            anna.user_id, **held_by(f"Meeting {number}", invite(room), days=2 + number)
        )
    failures = []

    def sync(connection_id):
        try:
            sync_down(connection_id)
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync, args=(c.pk,)) for c in (anna, room)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert Reservation.objects.count() == 8
    assert OutlookEvent.objects.count() == 16
    assert list(SyncError.objects.all()) == []
