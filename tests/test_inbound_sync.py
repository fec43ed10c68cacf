"""Sync Down: what an Outlook user does in a room's calendar reaches the back office."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Direction, Reservation, ReservationSeries, ReservationStatus
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections.inbound import delta
from syncconnections.inbound.delta import roll_window, sync_down
from syncconnections.models import CompanyLogEntry, OutlookConflict, OutlookEvent, SyncConnection
from tests import factories
from tests.helpers import log_operations
from tests.sync_helpers import (
    ORGANIZER,
    book,
    connected_staff,
    graph_time,
    graph_writes,
    in_days,
    last_request_id,
    meeting,
)

pytestmark = pytest.mark.django_db


def test_an_outlook_meeting_becomes_one_inbound_reservation(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())

    result = sync_down(room.pk)

    reservation = Reservation.objects.get(direction=Direction.INBOUND)
    start, end = in_days(3, 10)
    assert (
        reservation.title,
        reservation.resource,
        reservation.start,
        reservation.end,
        reservation.organizer_email,
        reservation.status,
    ) == ("Hiring panel", room.resource, start, end, ORGANIZER, "confirmed")
    assert OutlookEvent.objects.get(reservation=reservation).event_id == made["id"]
    entry = CompanyLogEntry.objects.get()
    assert (
        entry.operation,
        entry.reservation,
        entry.mailbox,
        entry.organizer_email,
        entry.attendee_emails,
        entry.subject,
        entry.event_id,
    ) == (
        "created",
        reservation,
        room.user_id,
        ORGANIZER,
        "guest@contoso.test",
        "Hiring panel",
        made["id"],
    )
    assert entry.outlook_data["id"] == made["id"]
    assert (result.changes.created, result.ok) == (1, True)
    assert SyncConnection.objects.get(pk=room.pk).delta_token.count("$deltatoken=") == 1


def test_moved_in_outlook_moves_the_reservation(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    later_start, later_end = in_days(4, 14)

    sandbox.outlook_update(
        room.user_id, made["id"], start=graph_time(later_start), end=graph_time(later_end)
    )
    sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert (reservation.start, reservation.end) == (later_start, later_end)
    assert log_operations() == ["created", "updated"]


@pytest.mark.parametrize("outlook_action", ["cancel", "delete"])
def test_cancelled_in_outlook_is_applied_when_the_tenant_ignores_requests(
    sandbox, tenant, room, outlook_action
):
    tenant.ignore_cancellation_requests = True
    tenant.save()
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)

    getattr(sandbox, f"outlook_{outlook_action}")(room.user_id, made["id"])
    sync_down(room.pk)

    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    assert CancellationRequest.objects.count() == 0
    expected = "cancelled" if outlook_action == "cancel" else "deleted"
    assert log_operations() == ["created", expected]


@pytest.mark.parametrize("outlook_action", ["cancel", "delete"])
def test_cancelled_in_outlook_waits_for_a_person_otherwise(sandbox, room, outlook_action):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)

    getattr(sandbox, f"outlook_{outlook_action}")(room.user_id, made["id"])
    sync_down(room.pk)
    sync_down(room.pk)  # again: still one request

    reservation = Reservation.objects.get()
    request = CancellationRequest.objects.get()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert (
        request.reservation,
        request.state,
        request.external_state,
        request.outlook_event_id,
        request.sync_connection,
    ) == (reservation, "pending", "100", made["id"], room)
    assert request.outlook_data["id"] == made["id"]


def test_a_reservation_that_cannot_be_cancelled_any_more_gets_a_request(sandbox, tenant, room):
    tenant.ignore_cancellation_requests = True
    tenant.save()
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    Reservation.objects.update(status=ReservationStatus.COMPLETED)

    sandbox.outlook_cancel(room.user_id, made["id"])
    sync_down(room.pk)

    assert Reservation.objects.get().status == ReservationStatus.COMPLETED
    assert CancellationRequest.objects.get().state == "pending"


def test_our_own_event_echoed_back_changes_nothing(sandbox, room):
    start, end = in_days(5, 9)
    reservation = book(room, start=start, end=end)
    reservation.refresh_from_db()
    link_before = OutlookEvent.objects.get()
    since = last_request_id(sandbox)

    result = sync_down(room.pk)

    assert (result.changes.created, result.changes.updated, result.changes.echoes) == (0, 0, 1)
    fields = ("pk", "title", "start", "end", "status", "direction", "updated_at")
    assert list(Reservation.objects.values_list(*fields)) == [
        tuple(getattr(reservation, name) for name in fields)
    ]
    link = OutlookEvent.objects.get()
    assert (link.reservation_id, link.updated_at) == (reservation.pk, link_before.updated_at)
    assert CompanyLogEntry.objects.count() == 0
    assert graph_writes(sandbox, since) == []


def test_an_outlook_change_to_our_reservation_is_applied_and_not_sent_back(sandbox, room):
    start, end = in_days(5, 9)
    reservation = book(room, start=start, end=end, title="Board meeting")
    link = OutlookEvent.objects.get()
    sync_down(room.pk)
    since = last_request_id(sandbox)

    sandbox.outlook_update(room.user_id, link.event_id, subject="Board meeting (moved)")
    sync_down(room.pk)

    reservation.refresh_from_db()
    assert reservation.title == "Board meeting (moved)"
    assert graph_writes(sandbox, since) == []


def test_a_410_in_the_middle_resyncs_without_duplicates(sandbox, room, monkeypatch):
    monkeypatch.setattr(delta, "PAGE_SIZE", 100)  # three pages; the second one fails
    events = [meeting(f"Meeting {i}", days=1 + i // 10, hour=8 + i % 10) for i in range(250)]
    sandbox.outlook_create_many(room.user_id, events)
    sandbox.fault("calendarView/delta$", status=410, code="SyncStateNotFound", skip=1, times=1)

    result = sync_down(room.pk)

    assert result.resynced is True
    assert Reservation.objects.count() == 250
    assert OutlookEvent.objects.count() == 250
    assert CompanyLogEntry.objects.count() == 250
    assert len(set(CompanyLogEntry.objects.values_list("event_id", flat=True))) == 250


def test_an_expired_token_resyncs_on_the_next_run_without_duplicates(sandbox, room):
    sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    sandbox.expire_delta(room.user_id)

    result = sync_down(room.pk)

    assert result.resynced is True
    assert (Reservation.objects.count(), CompanyLogEntry.objects.count()) == (1, 1)


def daily_series(sandbox, room, occurrences=5):
    start, end = in_days(2, 9, 30)
    return sandbox.outlook_create(
        room.user_id,
        subject="Daily check-in",
        start=graph_time(start),
        end=graph_time(end),
        organizerEmail=ORGANIZER,
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "numbered",
                "startDate": start.date().isoformat(),
                "numberOfOccurrences": occurrences,
            },
        },
    )


@pytest.mark.parametrize("ignore_requests", [False, True], ids=["asked", "applied"])
def test_a_series_with_a_moved_and_a_cancelled_occurrence(sandbox, tenant, room, ignore_requests):
    tenant.ignore_cancellation_requests = ignore_requests
    tenant.save()
    made = daily_series(sandbox, room)
    sync_down(room.pk)
    series = ReservationSeries.objects.get()
    occurrences = list(series.occurrences.order_by("start"))
    links = {o.pk: OutlookEvent.objects.get(reservation=o).event_id for o in occurrences}
    moved_start = occurrences[1].start + dt.timedelta(hours=5)

    sandbox.outlook_update(
        room.user_id,
        links[occurrences[1].pk],
        start=graph_time(moved_start),
        end=graph_time(moved_start + dt.timedelta(minutes=30)),
    )
    sandbox.outlook_delete(room.user_id, links[occurrences[3].pk])
    sync_down(room.pk)

    series.refresh_from_db()
    assert (series.direction, series.title, series.status) == (
        "inbound",
        "Daily check-in",
        "confirmed",
    )
    assert OutlookEvent.objects.get(series=series, kind="series").event_id == made["id"]
    after = list(series.occurrences.order_by("pk").values_list("pk", "start", "status"))
    cancelled = "cancelled" if ignore_requests else "confirmed"
    assert after == [
        (o.pk, moved_start if i == 1 else o.start, cancelled if i == 3 else "confirmed")
        for i, o in enumerate(occurrences)
    ]
    assert Reservation.objects.count() == 5  # no occurrence made twice
    assert list(
        CompanyLogEntry.objects.filter(operation__in=["updated", "deleted"])
        .order_by("operation")
        .values_list("operation", "reservation_id", "subject")
    ) == [
        ("deleted", occurrences[3].pk, "Daily check-in"),
        ("updated", occurrences[1].pk, "Daily check-in"),
    ]
    requests = list(CancellationRequest.objects.values_list("reservation_id", "state"))
    assert requests == ([] if ignore_requests else [(occurrences[3].pk, "pending")])


def test_a_series_whose_occurrences_are_all_cancelled_is_cancelled(sandbox, tenant, room):
    tenant.ignore_cancellation_requests = True
    tenant.save()
    daily_series(sandbox, room, occurrences=2)
    sync_down(room.pk)
    series = ReservationSeries.objects.get()

    for link in OutlookEvent.objects.filter(kind="occurrence"):
        sandbox.outlook_cancel(room.user_id, link.event_id)
    sync_down(room.pk)

    series.refresh_from_db()
    assert list(series.occurrences.values_list("status", flat=True)) == ["cancelled"] * 2
    assert series.status == "cancelled"


def test_a_staff_calendar_meeting_books_the_room_it_invites(sandbox, tenant):
    staff = connected_staff(sandbox, tenant)
    room = factories.ResourceFactory(mailbox_email="room.vermeer@contoso.test")
    start, end = in_days(2, 11)

    sandbox.outlook_create(
        staff.user_id,
        subject="1:1",
        start=graph_time(start),
        end=graph_time(end),
        attendees=[{"emailAddress": {"address": "room.vermeer@contoso.test"}, "type": "resource"}],
    )
    sandbox.outlook_create(staff.user_id, **meeting("No room"))  # logged only
    sync_down(staff.pk)

    reservation = Reservation.objects.get()
    assert (reservation.resource, reservation.staff) == (room, staff.staff)
    assert CompanyLogEntry.objects.filter(reservation__isnull=True).count() == 1


def test_events_outside_the_window_are_not_read(sandbox, room, settings):
    settings.SYNC_WINDOW_DAYS_AHEAD = 10
    SyncConnection.objects.filter(pk=room.pk).update(delta_token="")  # start a new window
    sandbox.outlook_create(room.user_id, **meeting("Far away", days=40))
    sandbox.outlook_create(room.user_id, **meeting("Next week", days=7))
    since = last_request_id(sandbox)

    sync_down(room.pk)

    [asked] = [r for r in sandbox.requests(since) if r["path"].endswith("/calendarView/delta")]
    window_end = timezone.localdate() + dt.timedelta(days=10)
    assert asked["query"]["endDateTime"] == f"{window_end.isoformat()}T00:00:00Z"
    assert list(Reservation.objects.values_list("title", flat=True)) == ["Next week"]
    assert list(CompanyLogEntry.objects.values_list("subject", flat=True)) == ["Next week"]


def test_the_window_rolls_on_with_the_secondary_token(sandbox, room, settings):
    settings.SYNC_WINDOW_DAYS_AHEAD = 10
    sync_down(room.pk)
    SyncConnection.objects.filter(pk=room.pk).update(
        delta_window_start=timezone.localdate() - dt.timedelta(days=40),
        delta_window_end=timezone.localdate() + dt.timedelta(days=5),
    )
    sandbox.outlook_create(room.user_id, **meeting("Next week", days=8))

    result = roll_window(room.pk)

    room.refresh_from_db()
    assert result.ok and result.pages == 2  # the new window listed, the old one caught up
    assert room.delta_window_end == timezone.localdate() + dt.timedelta(days=10)
    assert (room.secondary_delta_token, room.secondary_window_start) == ("", None)
    assert "$deltatoken=" in room.delta_token
    assert Reservation.objects.get().title == "Next week"


def test_a_graph_failure_is_a_sync_down_error(sandbox, room):
    sandbox.permissions(["User.Read.All"])

    result = sync_down(room.pk)

    error = SyncError.objects.get()
    assert (result.ok, error.operation, error.stage, error.status_code) == (
        False,
        "sync_down",
        "delta page",
        403,
    )


@pytest.mark.parametrize("ignore_requests", [False, True], ids=["asked", "applied"])
def test_this_and_following_changed_in_outlook_moves_the_occurrences(
    sandbox, tenant, room, ignore_requests
):
    """Outlook's "this and following": the series ends sooner and a new series holds the
    rest. The occurrences move to a new series, at the new times; nothing is cancelled,
    asked or held back as a conflict."""
    tenant.ignore_cancellation_requests = ignore_requests
    tenant.save()
    made = daily_series(sandbox, room)
    sync_down(room.pk)
    series = ReservationSeries.objects.get()
    occurrences = list(series.occurrences.order_by("start"))
    split_day = occurrences[2].start.astimezone(dt.UTC).date()
    later_start = occurrences[2].start + dt.timedelta(hours=4)

    sandbox.outlook_update(
        room.user_id,
        made["id"],
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "endDate",
                "startDate": occurrences[0].start.date().isoformat(),
                "endDate": (split_day - dt.timedelta(days=1)).isoformat(),
            },
        },
    )
    sandbox.outlook_create(
        room.user_id,
        subject="Daily check-in (later)",
        start=graph_time(later_start),
        end=graph_time(later_start + dt.timedelta(minutes=30)),
        organizerEmail=ORGANIZER,
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "numbered",
                "startDate": split_day.isoformat(),
                "numberOfOccurrences": 3,
            },
        },
    )
    sync_down(room.pk)

    new_series = ReservationSeries.objects.exclude(pk=series.pk).get()
    assert list(series.occurrences.order_by("start")) == occurrences[:2]
    assert [
        (o.pk, o.start, o.title, o.status) for o in new_series.occurrences.order_by("start")
    ] == [
        (o.pk, o.start + dt.timedelta(hours=4), "Daily check-in (later)", "confirmed")
        for o in occurrences[2:]
    ]
    assert Reservation.objects.count() == 5
    assert CancellationRequest.objects.count() == 0
    assert OutlookConflict.objects.count() == 0
    links = OutlookEvent.objects.filter(reservation__series=new_series)
    assert links.count() == 3
