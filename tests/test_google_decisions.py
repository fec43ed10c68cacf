"""What people decide and look at, on a Google Workspace room, through the sandbox's Calendar
stand-in over HTTPS: a conflict kept (the room declines the meeting) or given way (the
meeting booked instead), a cancellation request's status info, Find a free room (freeBusy)
and the planner's calendar track."""

import datetime as dt

import pytest

from bookings.models import Direction, Reservation, ReservationStatus
from cancellations import decisions
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections import availability, conflict_decisions, planner
from syncconnections.google import GoogleClient, event_id
from syncconnections.inbound.delta import sync_down
from syncconnections.models import OutlookConflict, OutlookEvent
from tests import factories
from tests.sync_helpers import AMSTERDAM, GOOGLE_EVA, at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(workspace_room):
    return workspace_room


@pytest.fixture
def person():
    return factories.UserFactory(is_staff=True, is_superuser=True)


def invite_room(eva, room, summary="Budget talk", start=None, event="evameeting01"):
    start = start or at(7, 10)
    made, _ = eva.insert_event(
        GOOGLE_EVA,
        event,
        {
            "summary": summary,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
            "attendees": [{"email": room.user_id, "resource": True}],
        },
    )
    return made


def in_room(sandbox, room):
    return {e["id"]: e for e in sandbox.google_events(room.user_id)}


def test_keeping_ours_has_the_room_decline_the_meeting_and_sends_the_reservation(
    sandbox, room, eva, person
):
    invite_room(eva, room)
    reservation = book(room)
    conflict = OutlookConflict.objects.get(reservation=reservation)

    message = conflict_decisions.keep_ours(conflict, person)

    assert message.startswith("Declined 'Budget talk'")
    events = in_room(sandbox, room)
    [answer] = [a for a in events["evameeting01"]["attendees"] if a.get("self")]
    assert answer["responseStatus"] == "declined"
    assert events[event_id(reservation.uuid)]["status"] == "confirmed"  # ours, sent
    assert OutlookEvent.objects.get(reservation=reservation)

    # And the declined meeting, which Google keeps in the room's calendar, holds nothing
    result = sync_down(room.pk)
    assert (result.ok, result.changes.created, result.changes.conflicts) == (True, 0, 0)
    assert list(OutlookConflict.objects.values_list("state", flat=True)) == ["kept_ours"]
    assert Reservation.objects.count() == 1


def test_giving_way_to_a_meeting_read_from_google_books_the_meeting(sandbox, room, eva, person):
    # A room set to "Automatically add all invitations" accepts one for a time it holds
    sandbox.google_resource(room.user_id, "Boardroom", acceptAll=True)
    ours = book(room)
    invite_room(eva, room, "Board visit")
    sync_down(room.pk)
    conflict = OutlookConflict.objects.get(reservation=ours)
    assert conflict.subject == "Board visit"
    assert SyncError.objects.get(reservation=ours).error_message.startswith(
        "Google Calendar holds 'Board visit' (eva@fabrikam.test) 10:00–11:00 in Boardroom"
    )

    conflict_decisions.give_way(conflict, person, "The board comes first.")

    ours.refresh_from_db()
    assert ours.status == ReservationStatus.CANCELLED
    assert in_room(sandbox, room)[event_id(ours.uuid)]["status"] == "cancelled"
    booked = Reservation.objects.get(title="Board visit")
    assert (booked.direction, booked.start, booked.resource) == (
        Direction.INBOUND,
        at(7, 10),
        room.resource,
    )


def test_status_info_of_a_reservation_deleted_in_google(sandbox, room):
    reservation = book(room)
    admin = GoogleClient.for_tenant(room.tenant)
    admin.delete_event(room.user_id, event_id(reservation.uuid))
    sync_down(room.pk)
    request = CancellationRequest.objects.get(reservation=reservation)

    info = decisions.status_info(request)

    assert (info.deleted, info.outlook_state, info.error, info.google) == (
        True,
        "deleted",
        "",
        True,
    )
    assert info.event["status"] == "cancelled"


def test_the_status_info_page_shows_googles_event(sandbox, room, client, person):
    reservation = book(room)
    GoogleClient.for_tenant(room.tenant).delete_event(room.user_id, event_id(reservation.uuid))
    sync_down(room.pk)
    request = CancellationRequest.objects.get(reservation=reservation)
    client.force_login(person)

    page = client.post(
        "/admin/cancellations/cancellationrequest/",
        {"action": "get_status_info", "_selected_action": [request.pk]},
    )

    assert page.status_code == 200
    assert b"Quarterly review" in page.content  # the reservation's title
    assert (
        f"Deleted in Google Calendar: the event no longer exists in {room.user_id}.".encode()
        in page.content
    )
    assert b"Could not be checked" not in page.content


def test_find_a_free_room_asks_googles_free_busy(sandbox, room, eva):
    invite_room(eva, room, start=at(7, 14))

    busy = availability.free_rooms(room.resource.location, at(7, 14), at(7, 15))
    free = availability.free_rooms(room.resource.location, at(7, 16), at(7, 17))

    [result] = [r for r in busy if r.resource == room.resource]
    assert (result.free, result.outlook, result.reasons) == (
        False,
        availability.CHECKED,
        ["Boardroom is busy in Google Calendar 14:00–15:00"],
    )
    [result] = [r for r in free if r.resource == room.resource]
    assert (result.free, result.outlook) == (True, availability.CHECKED)
    calls = [r for r in sandbox.requests() if r["path"] == "/calendar/v3/freeBusy"]
    assert len(calls) == 2


def test_the_planner_shows_the_google_calendar_beside_the_reservations(sandbox, room, eva):
    ours = book(room)
    invite_room(eva, room, "Walk-in", start=at(7, 13))

    view = planner.build_planner(room.resource.location, dt.date(2026, 12, 7), with_outlook=True)

    [row] = [r for r in view.rows if r.resource == room.resource]
    assert row.outlook is not None and not row.outlook.failed, row.outlook.message
    titles = sorted(b.title for b in row.outlook.blocks)
    assert titles == ["Quarterly review", "Walk-in"]
    [ours_there] = [b for b in row.outlook.blocks if b.title == "Quarterly review"]
    assert not ours_there.difference  # our own event, matched to its reservation
    [walk_in] = [b for b in row.outlook.blocks if b.title == "Walk-in"]
    assert walk_in.difference  # in Google only
    assert walk_in.start == dt.datetime(2026, 12, 7, 13, 0, tzinfo=AMSTERDAM)
    assert ours.pk
