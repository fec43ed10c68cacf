"""Sync Down at scale: a worker syncs several calendars side by side, no mailbox ever has more
than Graph's four requests running at once, and a worker killed in the middle of a batch
leaves every calendar it had not finished to be read again."""

import datetime as dt
import signal

import pytest
from django.db import connection
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from syncconnections.inbound import delta
from syncconnections.inbound.sync_requests import request_sync, sync_pending
from syncconnections.models import SyncConnection, SyncRequest
from tests.helpers import stop_group, wait_until
from tests.sync_helpers import connected_room, meeting

pytestmark = pytest.mark.django_db(transaction=True)


def rooms_with_meetings(sandbox, tenant, count, meetings=1):
    rooms = [connected_room(sandbox, tenant, f"Room {n}") for n in range(count)]
    made = {
        room.pk: sandbox.outlook_create_many(
            room.user_id, [meeting(f"{room.user_id} {i}", days=1 + i) for i in range(meetings)]
        )
        for room in rooms
    }
    # Read a while ago: none waits for the interval between reads of a calendar.
    SyncConnection.objects.update(delta_read_at=timezone.now() - dt.timedelta(minutes=1))
    return rooms, made


def overlapping(calls):
    spans = [(c["started_at"], c["started_at"] + c["duration_ms"] / 1000) for c in calls]
    return sum(1 for a in spans for b in spans if a < b and a[0] < b[1] and b[0] < a[1])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="on SQLite, one writer at a time: one calendar too"
)
def test_calendars_are_synced_side_by_side_and_no_mailbox_runs_more_than_four(
    sandbox, tenant, settings, monkeypatch
):
    settings.SYNC_DOWN_THREADS = 4
    monkeypatch.setattr(delta, "PAGE_SIZE", 2)  # five meetings: three pages a room
    rooms, _ = rooms_with_meetings(sandbox, tenant, 8, meetings=5)
    sandbox.settings(latency=0.3)
    sandbox.clear_requests()

    # Asked for directly: request_sync would run the worker inline, inside its transaction.
    SyncRequest.objects.bulk_create([SyncRequest(sync_connection_id=r.pk) for r in rooms])
    sync_pending()

    assert Reservation.objects.count() == 40
    assert not SyncRequest.objects.exists()
    further = [
        r
        for r in sandbox.requests()
        if not r["inner"] and r["path"].endswith("/calendarView/delta")
    ]
    assert len(further) == 8 * 2  # the first pages came in one $batch
    assert overlapping(further) >= 3  # four rooms at a time, not one after another
    assert max(sandbox.peak_concurrency().values()) <= 4
    assert not [r for r in sandbox.requests() if r["status"] == 429]


def test_removed_events_of_twenty_calendars_are_checked_in_one_call(sandbox, tenant):
    tenant.ignore_cancellation_requests = True  # a meeting deleted in Outlook: cancelled
    tenant.save()
    rooms, made = rooms_with_meetings(sandbox, tenant, 20)
    request_sync([r.pk for r in rooms])  # read: 20 reservations
    for room in rooms:
        sandbox.outlook_delete(room.user_id, made[room.pk][0]["id"])
    SyncConnection.objects.update(delta_read_at=timezone.now() - dt.timedelta(minutes=1))
    sandbox.clear_requests()

    request_sync([r.pk for r in rooms])

    assert set(Reservation.objects.values_list("status", flat=True)) == {
        ReservationStatus.CANCELLED
    }
    calls = [r for r in sandbox.requests() if not r["inner"]]
    inner = [[i["url"] for i in c["body"]["requests"]] for c in calls]
    assert [len(urls) for urls in inner] == [20, 20]  # the first pages, then the checks
    assert all("/calendarView/delta" in url for url in inner[0])
    assert sorted(inner[1]) == sorted(
        f"/users/{room.user_id}/events/{made[room.pk][0]['id']}" for room in rooms
    )


@pytest.mark.real_cluster
def test_a_worker_killed_mid_batch_leaves_every_calendar_to_be_read_again(
    sandbox, tenant, start_cluster
):
    rooms, _ = rooms_with_meetings(sandbox, tenant, 20)
    big = rooms[10]
    sandbox.outlook_create_many(
        big.user_id,
        [meeting(f"Busy {i:03}", days=100 + i // 15, hour=7 + i % 15) for i in range(750)],
    )
    # The big room's second page (its first comes in the batch) takes long: the worker is
    # killed while waiting for it, with rooms 0-9 done and 11-19 not begun.
    sandbox.fault(f"/users/{big.user_id}/calendarView/delta$", kind="delay", seconds=30, skip=1)
    fast = {"TASK_TIMEOUT": "10", "TASK_RETRY": "20", "SYNC_DOWN_THREADS": "1"}
    worker = start_cluster(**fast)
    request_sync([r.pk for r in rooms], reason="test")

    assert wait_until(lambda: Reservation.objects.count() == 10 + delta.PAGE_SIZE, timeout=60)
    stop_group(worker, signal.SIGKILL)
    assert set(SyncRequest.objects.values_list("sync_connection_id", flat=True)) == {
        r.pk for r in rooms[10:]
    }
    sandbox.clear_faults()
    start_cluster(**fast)

    assert wait_until(lambda: not SyncRequest.objects.exists(), timeout=90)
    assert Reservation.objects.count() == 20 + 750
    assert Reservation.objects.filter(resource=big.resource).count() == 1 + 750
    assert all(
        "$deltatoken=" in c.delta_token
        for c in SyncConnection.objects.filter(pk__in=[r.pk for r in rooms])
    )
