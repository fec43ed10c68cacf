"""A Google Workspace room's calendar kept in step both ways, through the sandbox's Calendar
stand-in over HTTPS: reservations pushed as events (made with our own ids, moved, cancelled,
an insert whose answer was lost adopted), and meetings people make, move and cancel in
Google read back as reservations, cancellation requests and company log entries; a sync
token Google drops is a full read that duplicates nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Direction, Reservation, ReservationStatus
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections.google import event_id
from syncconnections.inbound.delta import sync_down
from syncconnections.models import CompanyLogEntry, OutboxEntry, OutlookConflict, OutlookEvent
from syncconnections.outbound import push_outbound
from tests import factories
from tests.sync_helpers import AMSTERDAM, GOOGLE_EVA, at, book, weekday_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(workspace_room):
    return workspace_room


def events_of(sandbox, calendar):
    return {e["id"]: e for e in sandbox.google_events(calendar)}


def calendar_writes(sandbox, since=0):
    """The calls inside batch requests are logged as the batch: (method, path) of each."""
    return [
        (r["method"], r["path"])
        for r in sandbox.requests(since)
        if r["path"].startswith("/batch/") or r["path"].startswith("/calendar/")
    ]


def invite_room(eva, room, summary="Design review", start=None, hours=1):
    start = start or dt.datetime(2026, 12, 8, 14, 0, tzinfo=AMSTERDAM)
    event, _ = eva.insert_event(
        GOOGLE_EVA,
        "evameeting01",
        {
            "summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Amsterdam"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=hours)).isoformat(),
                "timeZone": "Europe/Amsterdam",
            },
            "attendees": [{"email": room.user_id, "resource": True}],
        },
    )
    return event


# --- outbound ------------------------------------------------------------------------------


def test_a_reservation_becomes_an_event_with_our_id_in_the_room_calendar(sandbox, room):
    staff = factories.StaffFactory(first_name="Ben", last_name="Vos", email="ben@fabrikam.test")

    reservation = book(room, staff=staff, status=ReservationStatus.OPTION)

    events = events_of(sandbox, room.user_id)
    assert list(events) == [event_id(reservation.uuid)]
    event = events[event_id(reservation.uuid)]
    assert event["summary"] == "Quarterly review"
    assert event["start"] == {
        "dateTime": "2026-12-07T10:00:00+01:00",
        "timeZone": "Europe/Amsterdam",
    }
    assert event["end"]["dateTime"] == "2026-12-07T11:00:00+01:00"
    assert event["status"] == "tentative"  # an option
    assert event["attendees"] == [{"email": "ben@fabrikam.test", "displayName": "Ben Vos"}]
    assert event["location"] == f"Boardroom, {room.resource.location.name}"
    link = OutlookEvent.objects.get()
    assert (link.reservation, link.event_id, link.ical_uid, link.change_key) == (
        reservation,
        event["id"],
        event["iCalUID"],
        event["etag"],
    )
    assert OutboxEntry.objects.count() == 0


def test_a_move_patches_only_the_times_and_a_cancellation_deletes(sandbox, room):
    reservation = book(room)
    since = sandbox.requests()[-1]["id"]

    reservation.start, reservation.end = at(7, 14), at(7, 15)
    reservation.save()

    event = events_of(sandbox, room.user_id)[event_id(reservation.uuid)]
    assert event["start"]["dateTime"] == "2026-12-07T14:00:00+01:00"
    # One batch reads the room for the new slot, one sends the patch
    batches = [r for r in sandbox.requests(since) if r["path"].startswith("/batch/")]
    assert len(batches) == 2
    assert event["sequence"] == 1  # patched in place, not made anew

    reservation.status = ReservationStatus.CANCELLED
    reservation.save()

    assert events_of(sandbox, room.user_id)[event_id(reservation.uuid)]["status"] == "cancelled"
    assert OutlookEvent.objects.count() == 0


def test_an_insert_whose_answer_was_lost_is_adopted_on_the_next_try(sandbox, room):
    # Given Google makes the event but the answer to the batch carrying the insert (after
    # the one reading the room) never arrives
    sandbox.call(
        "POST",
        "faults",
        {"path": "^/batch/calendar/v3$", "method": "POST", "kind": "drop_after_write", "skip": 1},
    )
    reservation = book(room)
    assert OutlookEvent.objects.count() == 0  # no answer: nothing linked, tried again later
    assert len(events_of(sandbox, room.user_id)) == 1

    # When the entry's back-off is over and the push runs again
    OutboxEntry.objects.update(not_before=None)
    push_outbound()

    # Then Google's 409 for our id is the event made before: linked, not made twice
    events = events_of(sandbox, room.user_id)
    assert list(events) == [event_id(reservation.uuid)]
    assert OutlookEvent.objects.get().event_id == event_id(reservation.uuid)
    assert not SyncError.objects.filter(resolved=False).exists()


def test_a_meeting_in_the_slot_holds_the_reservation_back_as_a_conflict(sandbox, room, eva):
    invite_room(eva, room, "Budget talk", start=at(7, 10))

    reservation = book(room)

    assert event_id(reservation.uuid) not in events_of(sandbox, room.user_id)
    conflict = OutlookConflict.objects.get(reservation=reservation)
    assert (conflict.subject, conflict.organizer_email, conflict.start) == (
        "Budget talk",
        GOOGLE_EVA,
        at(7, 10),
    )


# --- inbound -------------------------------------------------------------------------------


def test_a_meeting_booked_in_google_becomes_a_reservation_and_its_moves_and_deletion_follow(
    sandbox, room, eva
):
    # Given Eva invites the room to a meeting in her Google calendar
    event = invite_room(eva, room)

    result = sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert (reservation.title, reservation.start, reservation.end) == (
        "Design review",
        dt.datetime(2026, 12, 8, 14, 0, tzinfo=AMSTERDAM),
        dt.datetime(2026, 12, 8, 15, 0, tzinfo=AMSTERDAM),
    )
    assert reservation.direction == Direction.INBOUND
    assert (reservation.staff.email, reservation.organizer_email) == (GOOGLE_EVA, GOOGLE_EVA)
    assert OutlookEvent.objects.get().ical_uid == event["iCalUID"]
    created = CompanyLogEntry.objects.get()
    assert (created.operation, created.subject, created.organizer_email) == (
        "created",
        "Design review",
        GOOGLE_EVA,
    )
    assert created.outlook_data["id"] == "evameeting01"  # Google's own JSON
    assert created.outlook_data["attendees"][0]["responseStatus"] == "accepted"
    assert result.changes.created == 1

    # When she moves it an hour later
    moved = dt.datetime(2026, 12, 8, 15, 0, tzinfo=AMSTERDAM)
    eva.patch_event(
        GOOGLE_EVA,
        "evameeting01",
        {
            "start": {"dateTime": moved.isoformat(), "timeZone": "Europe/Amsterdam"},
            "end": {"dateTime": (moved + dt.timedelta(hours=1)).isoformat()},
        },
    )
    sync_down(room.pk)

    reservation.refresh_from_db()
    assert reservation.start == moved
    assert list(CompanyLogEntry.objects.order_by("id").values_list("operation", flat=True)) == [
        "created",
        "updated",
    ]
    assert OutboxEntry.objects.count() == 0  # Google's change is not sent back

    # And when she deletes it, a person is asked
    eva.delete_event(GOOGLE_EVA, "evameeting01")
    sync_down(room.pk)

    request = CancellationRequest.objects.get()
    assert request.reservation == reservation
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED  # until someone decides
    deleted = CompanyLogEntry.objects.order_by("-id").first()
    assert (deleted.operation, deleted.subject) == ("deleted", "Design review")


def test_a_meeting_the_room_declines_for_a_time_it_holds_is_neither_booked_nor_a_conflict(
    sandbox, room, eva
):
    ours = book(room)
    event = invite_room(eva, room, "Budget talk", start=at(7, 10))
    [answer] = [
        a for a in events_of(sandbox, room.user_id)[event["id"]]["attendees"] if a.get("self")
    ]
    assert answer["responseStatus"] == "declined"  # Google's default for a room

    result = sync_down(room.pk)

    assert (result.ok, result.changes.created, result.changes.conflicts) == (True, 0, 0)
    assert list(Reservation.objects.all()) == [ours]
    assert not OutlookConflict.objects.exists()


def test_our_own_events_read_back_are_echoes(sandbox, room):
    book(room)

    result = sync_down(room.pk)

    assert result.changes.echoes == 1
    assert Reservation.objects.count() == 1
    assert CompanyLogEntry.objects.count() == 0


def test_a_sync_token_google_drops_is_a_full_read_that_duplicates_nothing(sandbox, room, eva):
    invite_room(eva, room)
    sync_down(room.pk)
    room.refresh_from_db()
    assert room.delta_token  # the sync token of the last page

    sandbox.google_expire_sync(room.user_id)
    result = sync_down(room.pk)

    assert result.resynced is True
    assert result.ok
    assert Reservation.objects.count() == 1
    assert CompanyLogEntry.objects.count() == 1
    assert OutlookEvent.objects.count() == 1
    room.refresh_from_db()
    assert room.delta_token and room.last_synced_at > timezone.now() - dt.timedelta(minutes=1)


def test_a_recurring_meeting_with_a_moved_and_a_cancelled_occurrence(sandbox, room, eva):
    # Given Eva's weekly meeting for three weeks in the room
    start = dt.datetime(2026, 12, 8, 9, 0, tzinfo=AMSTERDAM)
    eva.insert_event(
        GOOGLE_EVA,
        "evaplanning01",
        {
            "summary": "Weekly planning",
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Amsterdam"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=1)).isoformat(),
                "timeZone": "Europe/Amsterdam",
            },
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            "attendees": [{"email": room.user_id, "resource": True}],
        },
    )

    sync_down(room.pk)

    occurrences = list(Reservation.objects.order_by("start"))
    assert [(r.title, r.start) for r in occurrences] == [
        ("Weekly planning", start + dt.timedelta(weeks=n)) for n in range(3)
    ]
    assert len({r.series_id for r in occurrences}) == 1 and occurrences[0].series_id
    assert occurrences[0].series.direction == Direction.INBOUND

    # When she moves the second to 11:00 and cancels the third
    second = f"evaplanning01_{(start + dt.timedelta(weeks=1)).astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    third = f"evaplanning01_{(start + dt.timedelta(weeks=2)).astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    moved = start + dt.timedelta(weeks=1, hours=2)
    eva.patch_event(
        GOOGLE_EVA,
        second,
        {
            "start": {"dateTime": moved.isoformat(), "timeZone": "Europe/Amsterdam"},
            "end": {
                "dateTime": (moved + dt.timedelta(hours=1)).isoformat(),
                "timeZone": "Europe/Amsterdam",
            },
        },
    )
    eva.delete_event(GOOGLE_EVA, third)
    sync_down(room.pk)

    # Then the second follows, the third is put to a person, the first is untouched
    first, second_r, third_r = (Reservation.objects.get(pk=r.pk) for r in occurrences)
    assert (first.start, second_r.start, third_r.start) == (
        start,
        moved,
        start + dt.timedelta(weeks=2),
    )
    assert CancellationRequest.objects.get().reservation == third_r
    assert Reservation.objects.count() == 3  # no occurrence booked twice
    assert sorted(
        CompanyLogEntry.objects.values_list("operation", "event_id").order_by("id")[3:]
    ) == sorted([("updated", second), ("deleted", third)])


# --- series --------------------------------------------------------------------------------


def test_a_series_goes_to_google_as_one_recurring_event_and_its_changes_as_exceptions(
    sandbox, room
):
    # Given a series of four daily stand-ups, booked here
    series, occurrences = weekday_series(room, 4)

    # Then Google holds one recurring event, with our id and the rule that made them
    events = events_of(sandbox, room.user_id)
    assert list(events) == [event_id(series.uuid)]
    master = events[event_id(series.uuid)]
    assert master["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=4"]
    assert master["start"] == {
        "dateTime": "2026-12-07T09:00:00+01:00",
        "timeZone": "Europe/Amsterdam",
    }
    assert OutlookEvent.objects.get(kind="series").event_id == master["id"]
    linked = dict(
        OutlookEvent.objects.filter(kind="occurrence").values_list("reservation_id", "event_id")
    )
    assert linked == {
        o.pk: f"{master['id']}_{o.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" for o in occurrences
    }

    # When one occurrence moves and another is cancelled
    occurrences[1].start, occurrences[1].end = at(8, 10), at(8, 10, 15)
    occurrences[1].save()
    occurrences[2].status = ReservationStatus.CANCELLED
    occurrences[2].save()

    # Then Google holds them as exceptions of the series
    events = events_of(sandbox, room.user_id)
    moved, cancelled = events[linked[occurrences[1].pk]], events[linked[occurrences[2].pk]]
    assert moved["start"]["dateTime"] == "2026-12-08T10:00:00+01:00"
    assert moved["recurringEventId"] == master["id"]
    assert cancelled["status"] == "cancelled"
    assert events[master["id"]]["status"] == "confirmed"

    # And reading the room back changes nothing here: our own series, in step
    result = sync_down(room.pk)
    assert result.ok and result.changes.created == 0 and result.changes.requested == 0
    assert Reservation.objects.count() == 4
    assert not CancellationRequest.objects.exists()
    assert CompanyLogEntry.objects.count() == 0
