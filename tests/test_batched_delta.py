"""Sync Down reads the first delta page of up to twenty mailboxes in one $batch call; each
inner answer (a 410, a 429 with Retry-After, a 5xx) counts for its own connection only."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from bookings.models import Reservation
from errors.models import SyncError
from syncconnections.inbound import nightly, sync_requests
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SyncConnection, SyncRequest, WakeUp
from tests.sync_helpers import (
    connected_room,
    graph_calls,
    last_request_id,
    meeting,
    reads_delta,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(sandbox, tenant):
    rooms = [connected_room(sandbox, tenant, f"Room {n}") for n in range(20)]
    # Read a while ago: none waits for the interval between reads of a calendar.
    SyncConnection.objects.update(delta_read_at=timezone.now() - dt.timedelta(minutes=1))
    return rooms


def delta_path(room):
    return rf"/users/{room.user_id}/calendarView/delta$"


def test_twenty_mailboxes_are_read_in_one_call_each_answer_for_its_own(sandbox, rooms, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    for n, room in enumerate(rooms):
        sandbox.outlook_create(room.user_id, **meeting(f"Meeting {n}", hour=8 + n % 10))
    expired, throttled, failing = rooms[2], rooms[7], rooms[11]
    sandbox.fault(delta_path(expired), status=410, code="SyncStateNotFound", times=1)
    sandbox.fault(delta_path(throttled), status=429, retry_after=600, times=1)
    sandbox.fault(delta_path(failing), status=500, times=1)
    since = last_request_id(sandbox)

    request_sync([r.pk for r in rooms])  # runs inline

    calls = graph_calls(sandbox, since)
    read = Counter(
        r["path"] for r in sandbox.requests(since) if r["inner"] and r["path"].endswith("/delta")
    )
    assert calls[0] == ("POST", "/v1.0/$batch")
    assert len(read) == 20 and set(read.values()) == {1}  # each mailbox read once
    assert calls.count(("POST", "/v1.0/$batch")) == 1  # all in one call
    # Only the expired token's connection read on its own (listing its window afresh).
    assert [path for method, path in calls if path.endswith("/delta")] == [
        f"/v1.0/users/{expired.user_id}/calendarView/delta"
    ]
    booked = set(Reservation.objects.values_list("resource_id", flat=True))
    assert booked == {r.resource_id for r in rooms} - {throttled.resource_id, failing.resource_id}
    waiting = {r.sync_connection_id: r for r in SyncRequest.objects.all()}
    assert set(waiting) == {throttled.pk, failing.pk}
    in_ten_minutes = timezone.now() + dt.timedelta(seconds=590)
    assert waiting[throttled.pk].throttled_until > in_ten_minutes
    assert waiting[throttled.pk].attempts == 0
    assert waiting[failing.pk].attempts == 1
    assert [e.sync_connection_id for e in SyncError.objects.all()] == [failing.pk]


def test_the_nightly_sync_reads_twenty_rooms_a_call_and_rolls_their_windows(
    sandbox, rooms, tenant, settings
):
    rooms.append(connected_room(sandbox, tenant, "Room 20"))
    today = timezone.localdate()
    SyncConnection.objects.update(delta_window_start=today - dt.timedelta(days=40))  # roll due
    for room in rooms[::8]:
        sandbox.outlook_create(room.user_id, **meeting(f"In {room.user_id}"))
    since = last_request_id(sandbox)

    summary = nightly.nightly_sync()

    sent = [r for r in sandbox.requests(since) if not r["inner"]]
    assert not [r["path"] for r in sent if "/delta" in r["path"]]  # none read on its own
    batches = [r for r in sent if reads_delta(r)]
    # Twenty rooms, then one: the new windows listed, then the old ones caught up.
    assert [len(r["body"]["requests"]) for r in batches] == [20, 20, 1, 1]
    assert (summary.connections, summary.created, summary.failed) == (21, 3, [])
    assert set(SyncConnection.objects.values_list("delta_window_start", flat=True)) == {
        today - dt.timedelta(days=settings.SYNC_WINDOW_DAYS_BACK)
    }
    assert set(SyncConnection.objects.values_list("secondary_delta_token", flat=True)) == {""}
    assert Reservation.objects.count() == 3


def test_sync_down_hands_its_worker_over_when_another_worker_waits(sandbox, rooms, monkeypatch):
    monkeypatch.setattr(sync_requests, "CLAIM_SIZE", 10)
    woken = []
    monkeypatch.setattr(sync_requests, "wake", lambda: woken.append(True))
    SyncRequest.objects.bulk_create([SyncRequest(sync_connection_id=r.pk) for r in rooms])
    WakeUp.objects.create(name="another worker", raised=True)  # its task waits for a worker

    result = sync_requests.sync_pending()

    assert result == {"synced": 10, "failed": 0}  # one claim, then the other's turn
    assert SyncRequest.objects.count() == 10
    assert woken == [True]  # the rest in a fresh run, queued after the other
