"""An Outlook meeting in a room's calendar that Bookbridge has not synced yet stops the push
of a reservation into that slot: a conflict, decided by back office (keep ours: the meeting is
declined in the room; give way: our reservation is cancelled), read by support. And a meeting
Sync Down reads on a slot a reservation holds is not booked over it."""

import pytest

from bookings.models import Direction, Reservation, ReservationStatus
from errors.models import SyncError
from syncconnections.inbound.delta import sync_down
from syncconnections.models import (
    CompanyLogEntry,
    ConflictState,
    OutboxEntry,
    OutlookConflict,
    OutlookEvent,
)
from tests.helpers import member_of, messages_of
from tests.sync_helpers import at, book, graph_time, last_request_id

pytestmark = pytest.mark.django_db

ORGANIZER = "lisa@contoso.test"


def budget_review(sandbox, room, **extra):
    """Lisa invites the room to her meeting, 7 December 10:00–11:00 Amsterdam, in Outlook; the
    room accepts (it is free): a copy of the meeting is in the room's calendar."""
    sandbox.mailbox(ORGANIZER, kind="user")
    meeting = sandbox.outlook_create(
        ORGANIZER,
        subject="Budget review",
        start=graph_time(at(7, 10)),
        end=graph_time(at(7, 11)),
        attendees=[{"emailAddress": {"address": room.user_id}, "type": "resource"}],
        **extra,
    )
    [copy] = sandbox.events(room.user_id)
    return meeting, copy


def test_a_push_into_a_slot_busy_in_outlook_is_held_back_as_a_conflict(sandbox, room):
    _, copy = budget_review(sandbox, room)
    since = last_request_id(sandbox)

    reservation = book(room, title="Board meeting", start=at(7, 10, 30), end=at(7, 11, 30))

    assert [e["id"] for e in sandbox.events(room.user_id)] == [copy["id"]]  # no second event
    writes = [r for r in sandbox.requests(since) if r["method"] in ("POST", "PATCH", "DELETE")]
    assert [(r["method"], r["path"]) for r in writes if r["inner"]] == []
    conflict = OutlookConflict.objects.get()
    assert (conflict.reservation, conflict.sync_connection, conflict.state) == (
        reservation,
        room,
        ConflictState.OPEN,
    )
    assert (conflict.event_id, conflict.subject, conflict.organizer_email) == (
        copy["id"],
        "Budget review",
        ORGANIZER,
    )
    assert (conflict.start, conflict.end) == (at(7, 10), at(7, 11))
    [error] = SyncError.objects.filter(resolved=False)
    assert error.stage == "room busy in Outlook"
    assert error.error_message == (
        f"Outlook holds 'Budget review' ({ORGANIZER}) 10:00–11:00 in Boardroom, in the way of "
        f"'Board meeting' (#{reservation.pk}). The reservation was not sent to the room's "
        "calendar: keep ours or give way."
    )
    assert not OutlookEvent.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_the_check_and_the_push_are_batched_and_our_own_events_are_not_in_the_way(sandbox, room):
    first = book(room, title="First", start=at(7, 9), end=at(7, 10))
    since = last_request_id(sandbox)

    first.start, first.end = at(7, 9, 30), at(7, 10, 30)  # moved over its own event
    first.save()
    book(room, title="Second", start=at(7, 14), end=at(7, 15))

    assert not OutlookConflict.objects.exists()
    assert len(sandbox.events(room.user_id)) == 2
    top_level = [(r["method"], r["path"]) for r in sandbox.requests(since) if not r["inner"]]
    # Per push: one $batch asking the room, one $batch writing (the token is cached).
    assert top_level.count(("POST", "/v1.0/$batch")) == 4


def test_a_conflict_is_found_once_and_the_reservation_waits_while_it_is_open(sandbox, room):
    budget_review(sandbox, room)
    reservation = book(room, title="Board meeting")

    reservation.description = "Agenda attached."
    reservation.save()

    assert OutlookConflict.objects.count() == 1
    assert SyncError.objects.count() == 1
    assert not OutlookEvent.objects.exists()


def test_keep_ours_declines_the_meeting_in_the_room_and_sends_ours(sandbox, room, client):
    budget_review(sandbox, room)
    reservation = book(room, title="Board meeting")
    conflict = OutlookConflict.objects.get()
    client.force_login(member_of("Back office"))

    response = client.post(
        f"/api/outlook-conflicts/{conflict.pk}/keep-ours/",
        {"reason": "The board meets here on Mondays."},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == (
        f"Declined 'Budget review' in {room.user_id}; the reservation is sent."
    )
    assert body["conflict"]["state"] == "kept_ours"
    assert body["conflict"]["decided_by"] == "back-office"
    [ours] = sandbox.events(room.user_id)
    assert ours["transactionId"] == str(reservation.uuid)
    [organizers] = sandbox.events(ORGANIZER)
    [room_attendee] = organizers["attendees"]
    assert room_attendee["status"]["response"] == "declined"
    declines = [r for r in sandbox.requests() if r["path"].endswith("/decline")]
    assert [d["body"]["comment"] for d in declines] == ["The board meets here on Mondays."]
    assert OutlookEvent.objects.get().reservation == reservation
    assert not SyncError.objects.filter(resolved=False).exists()


def test_give_way_cancels_ours_and_leaves_the_meeting(sandbox, room, client):
    _, copy = budget_review(sandbox, room)
    reservation = book(room, title="Board meeting")
    conflict = OutlookConflict.objects.get()
    client.force_login(member_of("Back office"))

    asked = client.post(
        f"/admin/syncconnections/outlookconflict/{conflict.pk}/run/give_way/", follow=True
    )
    assert "Reason" in asked.content.decode()
    response = client.post(
        f"/admin/syncconnections/outlookconflict/{conflict.pk}/run/give_way/",
        {"post": "yes", "reason": "Budget review was booked first."},
        follow=True,
    )

    assert messages_of(response) == [
        f"Cancelled 'Board meeting' (#{reservation.pk}): Budget review was booked first."
    ]
    reservation.refresh_from_db()
    conflict.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert (conflict.state, conflict.reason, conflict.decided_by.username) == (
        ConflictState.GAVE_WAY,
        "Budget review was booked first.",
        "back-office",
    )
    assert [e["id"] for e in sandbox.events(room.user_id)] == [copy["id"]]


def test_support_reads_conflicts_but_cannot_decide(sandbox, room, client):
    budget_review(sandbox, room)
    book(room, title="Board meeting")
    conflict = OutlookConflict.objects.get()
    client.force_login(member_of("Support"))

    page = client.get(f"/admin/syncconnections/outlookconflict/{conflict.pk}/change/")
    api = client.post(
        f"/api/outlook-conflicts/{conflict.pk}/keep-ours/", {}, content_type="application/json"
    )
    button = client.post(f"/admin/syncconnections/outlookconflict/{conflict.pk}/run/keep_ours/")

    assert page.status_code == 200
    assert "Budget review" in page.content.decode()
    assert "keep_ours" not in page.content.decode()
    assert api.status_code == 403
    assert button.status_code == 403
    assert OutlookConflict.objects.get().state == ConflictState.OPEN


def test_a_meeting_sync_down_reads_on_a_held_slot_is_not_booked_over_it(sandbox, room, client):
    ours = book(room, title="Board meeting")  # pushed: the room is busy in Outlook too
    sandbox.outlook_create(
        room.user_id,
        subject="Fire drill",
        start=graph_time(at(7, 10, 30)),
        end=graph_time(at(7, 11, 30)),
        organizerEmail=room.user_id,  # made in the room's own calendar
    )

    sync_down(room.pk)

    assert list(Reservation.objects.values_list("title", flat=True)) == ["Board meeting"]
    conflict = OutlookConflict.objects.get()
    assert (conflict.reservation, conflict.subject, conflict.origin) == (
        ours,
        "Fire drill",
        "sync_down",
    )
    assert CompanyLogEntry.objects.filter(subject="Fire drill", reservation=None).count() == 1

    client.force_login(member_of("Back office"))
    response = client.post(
        f"/api/outlook-conflicts/{conflict.pk}/give-way/",
        {"reason": "Safety first."},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    inbound = Reservation.objects.get(direction=Direction.INBOUND)
    assert (inbound.title, inbound.start, inbound.end) == (
        "Fire drill",
        at(7, 10, 30),
        at(7, 11, 30),
    )
    ours.refresh_from_db()
    assert ours.status == ReservationStatus.CANCELLED
    assert [e["subject"] for e in sandbox.events(room.user_id)] == ["Fire drill"]


def test_the_dashboard_and_the_reservation_page_show_an_open_conflict(sandbox, room, client):
    budget_review(sandbox, room)
    reservation = book(room, title="Board meeting")
    conflict = OutlookConflict.objects.get()
    client.force_login(member_of("Back office"))

    index = client.get("/admin/").content.decode()
    page = client.get(f"/admin/bookings/reservation/{reservation.pk}/change/").content.decode()

    assert "Conflicts with Outlook" in index
    assert "/admin/syncconnections/outlookconflict/?state__exact=open" in index
    assert "Outlook holds &#x27;Budget review&#x27;" in page
    assert f"/admin/syncconnections/outlookconflict/{conflict.pk}/change/" in page


def test_a_series_with_an_occurrence_in_the_way_waits_until_it_is_decided(sandbox, room, client):
    """The whole span is read in one request; the occurrence in the way holds the series back
    (it is one event in Outlook); giving way on that occurrence lets the rest go out."""
    from tests.sync_helpers import weekday_series

    sandbox.mailbox(ORGANIZER, kind="user")
    sandbox.outlook_create(
        ORGANIZER,
        subject="Fire drill",
        start=graph_time(at(9, 9)),
        end=graph_time(at(9, 9, 30)),
        attendees=[{"emailAddress": {"address": room.user_id}, "type": "resource"}],
    )
    since = last_request_id(sandbox)

    _, occurrences = weekday_series(room, 5)

    views = [r for r in sandbox.requests(since) if r["path"].endswith("/calendarView")]
    assert len(views) == 1
    conflict = OutlookConflict.objects.get()
    assert (conflict.reservation, conflict.subject) == (occurrences[2], "Fire drill")
    assert [e["subject"] for e in sandbox.events(room.user_id)] == ["Fire drill"]

    client.force_login(member_of("Back office"))
    response = client.post(
        f"/api/outlook-conflicts/{conflict.pk}/give-way/",
        {"reason": "The drill is mandatory."},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    occurrences[2].refresh_from_db()
    assert occurrences[2].status == ReservationStatus.CANCELLED
    # The series goes out (its cancelled occurrence's instance removed); the drill stays.
    assert sorted(e["subject"] for e in sandbox.events(room.user_id)) == ["Fire drill", "Stand-up"]
    assert OutlookEvent.objects.filter(kind="occurrence").count() == 4


def test_two_outlook_meetings_on_one_slot_cannot_give_way_in_bookbridge(sandbox, room, client):
    """A room that accepts conflicts (AllowConflicts) holds two meetings at once: the one read
    first is booked, the other opens a conflict; Bookbridge cancels no Outlook meeting."""
    sandbox.calendar_processing(room.user_id, allow_conflicts=True)
    for subject in ("Fire drill", "Yoga"):
        sandbox.outlook_create(
            room.user_id,
            subject=subject,
            start=graph_time(at(7, 10)),
            end=graph_time(at(7, 11)),
            organizerEmail=room.user_id,
        )
    sync_down(room.pk)
    conflict = OutlookConflict.objects.get()
    client.force_login(member_of("Back office"))

    response = client.post(
        f"/api/outlook-conflicts/{conflict.pk}/give-way/",
        {"reason": "Yoga can move."},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"'{conflict.reservation.title}' was booked in Outlook too: cancel one of the two "
        "meetings in Outlook, or keep ours to decline the later one in the room."
    )
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    assert OutlookConflict.objects.get().state == ConflictState.OPEN


def test_instances_of_our_series_read_before_the_push_stored_its_links_are_ours(sandbox, room):
    """Sync Down may read a new series' instances before the push that made it has stored
    its links (it stores them after all its calls): they are ours, not meetings in the way
    of our own occurrences."""
    from tests.sync_helpers import weekday_series

    weekday_series(room, 3)
    OutlookEvent.objects.all().delete()  # as the push has not stored them yet

    sync_down(room.pk)

    assert Reservation.objects.filter(direction=Direction.INBOUND).count() == 0
    assert not OutlookConflict.objects.exists()
    assert not SyncError.objects.exists()
