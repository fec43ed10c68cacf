"""Notifications come in floods, in parallel and at least once (change-notifications
delivery): counting the ones ignored loses none, and a flood for one calendar costs few delta
reads: at most one a second, the first at once and one after the last notification."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from syncconnections.graph import GraphClient
from syncconnections.inbound import sync_requests
from syncconnections.inbound.sync_requests import READ_INTERVAL, request_sync
from syncconnections.models import IgnoredNotification, SyncConnection, SyncRequest
from tests.helpers import wait_until
from tests.sync_helpers import connected_room, last_request_id


def ignored(reason):
    found = IgnoredNotification.objects.filter(reason=reason).first()
    return found.count if found else 0


@pytest.mark.django_db(transaction=True)
def test_ten_forged_notifications_at_once_are_ten_ignored(sandbox, live_room):
    answers = sandbox.notify(
        live_room.subscription_id, times=10, concurrency=10, clientState="forged"
    )

    assert [a["status"] for a in answers] == [202] * 10
    assert ignored("wrong clientState") == 10
    assert SyncRequest.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ten_notifications_of_a_stranger_at_once_are_ten_ignored(sandbox, live_room, live_server):
    stranger = GraphClient.for_tenant(live_room.tenant).create_subscription(
        {
            "changeType": "updated",
            "notificationUrl": f"{live_server.url}/graph/notifications/",
            "lifecycleNotificationUrl": f"{live_server.url}/graph/lifecycle/",
            "resource": f"users/{live_room.user_id}/events",
            "expirationDateTime": (timezone.now() + dt.timedelta(days=2)).isoformat(),
            "clientState": "not ours",
        }
    )

    answers = sandbox.notify(stranger["id"], times=10, concurrency=10)
    answers += sandbox.notify(stranger["id"], times=10, concurrency=10)

    assert [a["status"] for a in answers] == [202] * 20
    assert ignored("unknown subscription") == 20


# --- spacing the reads --------------------------------------------------------------------------


@pytest.fixture
def worker_asleep(monkeypatch):
    """Sync requests are made, the worker that would run them is not woken."""
    monkeypatch.setattr(sync_requests, "wake", lambda: None)


@pytest.mark.django_db
def test_a_calendar_not_read_lately_is_read_at_once(room, worker_asleep):
    SyncConnection.objects.filter(pk=room.pk).update(
        delta_read_at=timezone.now() - dt.timedelta(seconds=5)
    )

    request_sync([room.pk])

    assert SyncRequest.objects.get().throttled_until is None


@pytest.mark.django_db
def test_a_calendar_read_moments_ago_is_read_again_a_second_after(room, worker_asleep):
    read_at = timezone.now() - dt.timedelta(milliseconds=300)
    SyncConnection.objects.filter(pk=room.pk).update(delta_read_at=read_at)

    request_sync([room.pk])
    request_sync([room.pk])  # and a notification more changes nothing

    request = SyncRequest.objects.get()
    assert (request.throttled_until, request.version) == (read_at + READ_INTERVAL, 0)


@pytest.mark.real_cluster
@pytest.mark.django_db(transaction=True)
def test_a_hundred_notifications_in_a_second_cost_two_or_three_reads(
    sandbox, tenant, live_server, settings, start_cluster
):
    settings.PUBLIC_BASE_URL = live_server.url
    start_cluster(PUBLIC_BASE_URL=live_server.url)
    room = connected_room(sandbox, tenant, use_live_sync=True)  # the cluster subscribes it
    assert wait_until(lambda: SyncConnection.objects.get(pk=room.pk).subscription_id)
    assert wait_until(lambda: not SyncRequest.objects.exists())  # the catch-up after it
    room.refresh_from_db()
    since = last_request_id(sandbox)

    answers = sandbox.notify(room.subscription_id, times=100, seconds=1.0, concurrency=10)

    assert [a["status"] for a in answers] == [202] * 100
    assert wait_until(lambda: not SyncRequest.objects.exists(), timeout=30)
    reads = [
        r
        for r in sandbox.requests(since)
        if r["path"].endswith("/calendarView/delta") and room.user_id in r["path"]
    ]
    assert 2 <= len(reads) <= 3, [r["started_at"] for r in reads]
    starts = sorted(r["started_at"] for r in reads)
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(starts))
    # The last read began after the last notification was answered: nothing is missed.
    assert starts[-1] > max(a["answered_at"] for a in answers)
