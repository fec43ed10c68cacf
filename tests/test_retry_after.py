"""Retry-After is honoured in full (concepts/throttling.md: wait the time it says). A short
one is waited out in place; a long one defers the work by all of it, without holding a
worker asleep, and nothing (a change, a notification) brings the next call forward."""

import datetime as dt

import pytest
from django.utils import timezone

from errors.models import SyncError
from syncconnections import outbound
from syncconnections.inbound.nightly import nightly_sync
from syncconnections.inbound.sync_requests import request_sync, sync_pending
from syncconnections.models import OutboxEntry, OutlookEvent, SyncRequest
from tests.sync_helpers import book, last_request_id, meeting

pytestmark = pytest.mark.django_db

FIVE_MINUTES = 300


def calls_to(sandbox, since, part):
    """Requests whose path has `part`, those inside a $batch included."""
    return [r["path"] for r in sandbox.requests(since) if part in r["path"]]


def between(moment, low, high):
    now = timezone.now()
    return now + dt.timedelta(seconds=low) <= moment <= now + dt.timedelta(seconds=high)


@pytest.fixture
def no_sleeping(monkeypatch):
    """Every wait the Graph client would sleep, recorded instead of slept."""
    from common import http_client

    slept = []
    original = http_client.HttpClient.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.sleep = slept.append

    monkeypatch.setattr(http_client.HttpClient, "__init__", init)
    return slept


@pytest.mark.parametrize("where", ["the $batch", "the request inside it"])
def test_a_push_told_to_wait_five_minutes_waits_five_minutes(sandbox, room, no_sleeping, where):
    path = r"/\$batch$" if where == "the $batch" else r"/events$"
    sandbox.fault(path, method="POST", status=429, retry_after=FIVE_MINUTES, times=1)
    since = last_request_id(sandbox)

    reservation = book(room)

    entry = OutboxEntry.objects.get(reservation=reservation)
    assert between(entry.throttled_until, FIVE_MINUTES - 5, FIVE_MINUTES + 5)
    assert (entry.claim, entry.attempts) == (None, 0)
    # The first $batch reads the room's calendar for the slot; the second creates.
    tried = ["/v1.0/$batch"] if where == "the $batch" else ["/v1.0/$batch"] * 2
    assert calls_to(sandbox, since, "$batch") == tried  # tried once, not again
    assert no_sleeping == []  # and nobody slept through it
    assert list(SyncError.objects.all()) == []

    reservation.title = "Changed while throttled"  # a change does not bring it forward
    reservation.save()
    outbound.push_outbound()
    assert calls_to(sandbox, since, "$batch") == tried
    assert OutlookEvent.objects.count() == 0

    OutboxEntry.objects.update(throttled_until=timezone.now() - dt.timedelta(seconds=1))
    outbound.push_outbound()
    assert [e["subject"] for e in sandbox.events(room.user_id)] == ["Changed while throttled"]
    assert OutboxEntry.objects.count() == 0


def test_a_short_retry_after_is_waited_out_in_place(sandbox, room, no_sleeping):
    sandbox.fault(r"/\$batch$", method="POST", status=429, retry_after=2, times=1)

    book(room)

    assert no_sleeping == [2.0]
    assert OutboxEntry.objects.count() == 0
    assert len(sandbox.events(room.user_id)) == 1


def test_a_sync_down_told_to_wait_ten_minutes_waits_ten_minutes(sandbox, room, no_sleeping):
    sandbox.outlook_create(room.user_id, **meeting())
    sandbox.fault(r"/calendarView/delta$", status=503, retry_after=600, times=1)
    since = last_request_id(sandbox)

    request_sync([room.pk])  # runs inline

    request = SyncRequest.objects.get()
    assert between(request.throttled_until, 595, 605)
    assert (request.claim, request.attempts) == (None, 0)
    assert len(calls_to(sandbox, since, "/delta")) == 1
    assert no_sleeping == []
    assert list(SyncError.objects.all()) == []

    request_sync([room.pk])  # a notification does not bring it forward
    sync_pending()
    assert len(calls_to(sandbox, since, "/delta")) == 1

    SyncRequest.objects.update(throttled_until=timezone.now() - dt.timedelta(seconds=1))
    sync_pending()
    assert SyncRequest.objects.count() == 0
    assert len(calls_to(sandbox, since, "/delta")) == 2


def test_the_nightly_sync_leaves_a_throttled_calendar_for_later(sandbox, room, no_sleeping):
    sandbox.fault(r"/calendarView/delta$", status=429, retry_after=900, times=1)

    summary = nightly_sync()

    assert summary.failed == []
    assert summary.throttled == 1
    request = SyncRequest.objects.get()
    assert between(request.throttled_until, 895, 905)
    assert "Throttled by Microsoft Graph, synced once it allows: 1." in summary.lines()
