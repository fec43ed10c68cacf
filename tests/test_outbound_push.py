"""Reservations reach the room and user calendars: create, update only what changed, delete.

Tasks run inline here; tests/test_outbound_e2e.py does the same through a real cluster."""

from itertools import pairwise

import pytest
from django.utils import timezone

from bookings.models import Direction, ReservationStatus
from errors.models import SyncError
from syncconnections import connection_setup, outbound
from syncconnections.models import OutboxEntry, OutlookEvent, SyncMode
from tests import factories
from tests.sync_helpers import (
    at,
    book,
    connected_room,
    connected_staff,
    graph_writes,
    last_request_id,
    reads_delta,
)

pytestmark = pytest.mark.django_db


def test_a_new_reservation_becomes_one_event_with_the_right_fields(sandbox, room, settings):
    staff = factories.StaffFactory(first_name="Eva", last_name="Smit", email="eva@contoso.test")

    reservation = book(
        room, staff=staff, status=ReservationStatus.OPTION, description="Bring the Q4 figures."
    )

    [event] = sandbox.events(room.user_id)
    link = OutlookEvent.objects.get()
    assert (link.reservation, link.sync_connection, link.kind) == (reservation, room, "single")
    assert (link.event_id, link.ical_uid, link.change_key) == (
        event["id"],
        event["iCalUId"],
        event["changeKey"],
    )
    assert event["transactionId"] == str(reservation.uuid)
    assert event["subject"] == "Quarterly review"
    assert event["start"]["dateTime"] == "2026-12-07T09:00:00.0000000"  # 10:00 Amsterdam
    assert event["end"]["dateTime"] == "2026-12-07T10:00:00.0000000"
    assert event["location"] == {"displayName": f"Boardroom, {room.resource.location.name}"}
    assert event["showAs"] == "tentative"
    assert event["attendees"] == [
        {"emailAddress": {"address": "eva@contoso.test", "name": "Eva Smit"}, "type": "required"}
    ]
    link_to_reservation = (
        f"{settings.PUBLIC_BASE_URL}/admin/bookings/reservation/{reservation.pk}/change/"
    )
    assert event["body"]["content"] == (
        f"Bring the Q4 figures.\n\nBooked in Bookbridge: {link_to_reservation}"
    )
    assert OutboxEntry.objects.count() == 0


def test_moving_patches_only_the_times_of_the_same_event(sandbox, room):
    reservation = book(room)
    [before] = sandbox.events(room.user_id)
    since = last_request_id(sandbox)

    reservation.start, reservation.end = at(7, 14), at(7, 15)
    reservation.save()

    [after] = sandbox.events(room.user_id)
    [patch] = [r for r in sandbox.requests(since) if r["method"] == "PATCH"]
    assert after["id"] == before["id"]
    assert after["start"]["dateTime"] == "2026-12-07T13:00:00.0000000"
    assert set(patch["body"]) == {"start", "end"}
    assert OutlookEvent.objects.get().change_key == after["changeKey"] != before["changeKey"]


def test_saving_without_a_change_for_outlook_sends_nothing(sandbox, room):
    reservation = book(room)
    since = last_request_id(sandbox)

    reservation.organizer_email = "someone@contoso.test"  # not part of the event
    reservation.save()
    outbound.queue([reservation.pk])

    assert graph_writes(sandbox, since) == []


def test_cancelling_removes_the_event(sandbox, room):
    reservation = book(room)

    reservation.status = ReservationStatus.CANCELLED
    reservation.save()

    assert sandbox.events(room.user_id) == []
    assert OutlookEvent.objects.count() == 0


def test_deleting_removes_the_event(sandbox, room):
    reservation = book(room)

    reservation.delete()

    assert sandbox.events(room.user_id) == []
    assert OutlookEvent.objects.count() == 0


def test_moving_to_another_room_moves_the_event(sandbox, tenant, room):
    other = connected_room(sandbox, tenant, "Rembrandt")
    reservation = book(room)

    reservation.resource = other.resource
    reservation.save()

    assert sandbox.events(room.user_id) == []
    [event] = sandbox.events(other.user_id)
    assert OutlookEvent.objects.get().sync_connection == other
    assert event["transactionId"] == str(reservation.uuid)


def test_a_staff_calendar_gets_the_room_as_resource_attendee(sandbox, tenant):
    staff_connection = connected_staff(sandbox, tenant, calendar="Room bookings")
    room = factories.ResourceFactory(name="Vermeer", mailbox_email="room.vermeer@contoso.test")

    factories.ReservationFactory(
        resource=room, staff=staff_connection.staff, start=at(8, 9), end=at(8, 10)
    )

    [event] = sandbox.events(staff_connection.user_id)
    assert event["calendarId"] == staff_connection.calendar_id
    assert event["attendees"] == [
        {
            "emailAddress": {"address": "room.vermeer@contoso.test", "name": "Vermeer"},
            "type": "resource",
        }
    ]


def test_a_connected_staff_member_is_not_also_invited_to_the_room_event(sandbox, tenant, room):
    staff_connection = connected_staff(sandbox, tenant)

    book(room, staff=staff_connection.staff)

    [room_event] = sandbox.events(room.user_id)
    [staff_event] = sandbox.events(staff_connection.user_id)
    assert room_event["attendees"] == []
    assert staff_event["attendees"] == []  # the room's own calendar is connected too


@pytest.mark.parametrize(
    "case", ["inbound reservation", "inactive connection", "tenant syncs inbound only"]
)
def test_nothing_is_pushed(sandbox, tenant, room, case):
    since = last_request_id(sandbox)
    fields = {}
    if case == "inbound reservation":
        fields["direction"] = Direction.INBOUND
    elif case == "inactive connection":
        room.active = False
        room.save()
    else:
        tenant.sync_mode = SyncMode.INBOUND
        tenant.save()

    book(room, **fields)

    assert graph_writes(sandbox, since) == []
    assert OutboxEntry.objects.count() == 0


def test_running_the_job_twice_leaves_one_event(sandbox, room):
    reservation = book(room)

    outbound.queue([reservation.pk])
    outbound.push_outbound()

    assert len(sandbox.events(room.user_id)) == 1
    assert OutlookEvent.objects.count() == 1


def test_a_create_whose_answer_is_lost_is_retried_into_one_event(sandbox, room):
    # The second batch: the first reads the room's calendar for the slot.
    sandbox.fault(r"/\$batch$", kind="drop_after_write", skip=1, times=1)

    book(room)

    assert len(sandbox.events(room.user_id)) == 1
    assert OutlookEvent.objects.count() == 1
    assert [r["status"] for r in sandbox.requests() if r["path"].endswith("$batch")][-2:] == [
        None,
        200,
    ]


def test_a_429_storm_is_waited_out_and_everything_arrives(sandbox, tenant):
    room = connected_room(sandbox, tenant, activate_after_validation=False)
    reservations = [book(room, start=at(10, 8 + i), end=at(10, 9 + i)) for i in range(3)]
    sandbox.fault(r"/events$", method="POST", status=429, retry_after=1, times=6)
    since = last_request_id(sandbox)

    connection_setup.activate([room])

    pushed = sorted(e["transactionId"] for e in sandbox.events(room.user_id))
    assert pushed == sorted(str(r.uuid) for r in reservations)
    batches = [
        r for r in sandbox.requests(since) if r["path"].endswith("$batch") and not reads_delta(r)
    ]
    assert len(batches) == 4  # the room's calendar read, then twice throttled, then through
    assert all(b["started_at"] - a["started_at"] >= 1.0 for a, b in pairwise(batches[1:]))


def test_a_permanent_failure_is_recorded_and_retry_succeeds(sandbox, room, admin_client):
    sandbox.permissions(["User.Read.All"])

    reservation = book(room)

    error = SyncError.objects.get()
    assert (
        error.operation,
        error.stage,
        error.status_code,
        error.sync_connection,
        error.reservation,
        error.resolved,
    ) == ("create", "create event", 403, room, reservation, False)
    assert error.error_message == "Access is denied. Check credentials and try again."
    assert error.request_id
    assert OutboxEntry.objects.count() == 0  # waits for a person

    sandbox.permissions(["User.Read.All", "Calendars.ReadWrite"])
    admin_client.post(
        "/admin/errors/syncerror/", {"action": "retry", "_selected_action": [error.pk]}
    )

    error.refresh_from_db()
    assert (error.resolved, error.retry_count) == (True, 1)
    assert len(sandbox.events(room.user_id)) == 1


def test_a_transient_failure_stays_in_the_outbox_with_a_back_off(sandbox, room):
    sandbox.fault(r"/\$batch$", status=503, times=10)

    reservation = book(room)

    entry = OutboxEntry.objects.get()
    assert (entry.reservation, entry.attempts, entry.claim) == (reservation, 1, None)
    assert entry.not_before > timezone.now()
    assert SyncError.objects.count() == 0
    assert sandbox.events(room.user_id) == []


def test_the_51st_update_in_a_day_is_not_pushed(sandbox, room):
    reservation = book(room)
    for minute in range(1, 52):
        reservation.title = f"Review v{minute}"
        reservation.save()

    [event] = sandbox.events(room.user_id)
    link = OutlookEvent.objects.get()
    assert event["subject"] == "Review v50"
    assert link.update_count == 50
    [error] = SyncError.objects.all()
    assert (error.operation, error.stage, error.reservation) == (
        "update",
        "loop guard",
        reservation,
    )
    assert error.error_message.startswith(
        "Stopped pushing updates of this reservation to Outlook: it was updated 50 times "
        "within 24 hours, the limit of Contoso (max updates 50), which suggests an update "
        "loop."
    )

    reservation.title = "Review v52"
    reservation.save()
    assert SyncError.objects.count() == 1  # said once, not on every further change


def test_activating_pushes_the_future_reservations_in_batches(sandbox, tenant):
    room = connected_room(sandbox, tenant, activate_after_validation=False)
    future = [
        book(
            room,
            start=at(14, 8) + timezone.timedelta(hours=i),
            end=at(14, 9) + timezone.timedelta(hours=i),
        )
        for i in range(25)
    ]
    book(room, start=at(1, 8).replace(year=2020), end=at(1, 9).replace(year=2020))
    assert sandbox.events(room.user_id) == []
    since = last_request_id(sandbox)

    result = connection_setup.activate([room])

    assert result.reservations_queued == 25
    events = sandbox.events(room.user_id)
    assert sorted(e["transactionId"] for e in events) == sorted(str(r.uuid) for r in future)
    writes = [
        r
        for r in sandbox.requests(since)
        if not r["inner"] and r["method"] == "POST" and not reads_delta(r)
    ]
    # The room's calendar read for all 25 slots in one request, then 20 + 5 creates.
    assert [r["path"] for r in writes] == ["/v1.0/$batch", "/v1.0/$batch", "/v1.0/$batch"]
    [view] = [r for r in sandbox.requests(since) if r["path"].endswith("/calendarView")]
    assert view["inner"]
