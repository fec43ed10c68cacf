"""Subscriptions made together: connections activated at once are subscribed twenty to a
$batch call, each answer for its own connection, and a run that finds nothing left to do
makes nothing twice."""

import datetime as dt

import pytest
from django.utils import timezone

from errors.models import SyncError
from syncconnections import connection_setup
from syncconnections.inbound import subscriptions
from syncconnections.inbound.subscriptions import refresh_subscriptions, subscribe_pending
from syncconnections.models import SubscriptionRequest, SyncConnection
from tests.sync_helpers import connected_room, graph_calls, last_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(settings, webhook_receiver):
    """Graph's handshakes go to a receiver standing in for this site."""
    settings.PUBLIC_BASE_URL = webhook_receiver.url
    return webhook_receiver


def inactive_rooms(sandbox, tenant, count):
    return [
        connected_room(
            sandbox, tenant, f"Room {n}", use_live_sync=True, activate_after_validation=False
        )
        for n in range(count)
    ]


def test_rooms_activated_together_are_subscribed_twenty_to_a_batch(sandbox, tenant, public):
    # Given 25 valid rooms with live sync, one of which Graph will refuse to subscribe
    rooms = inactive_rooms(sandbox, tenant, 25)
    sandbox.fault(r"/subscriptions$", method="POST", status=403, times=1)
    since = last_request_id(sandbox)

    # When they are activated in one go
    connection_setup.activate(rooms)

    # Then the subscriptions were asked for in two $batch calls, none on its own
    creations = [
        r for r in sandbox.requests(since) if r["inner"] and r["path"].endswith("/subscriptions")
    ]
    assert len(creations) == 25
    calls = graph_calls(sandbox, since)
    assert ("POST", "/v1.0/subscriptions") not in calls
    assert sum(1 for r in sandbox.requests(since) if _creates(r)) == 2
    # Each got its own answer: 24 subscribed, each with its own handshakes, and the refused
    # one recorded for its connection alone and asked for again later
    subscribed = SyncConnection.objects.exclude(subscription_id="")
    assert subscribed.count() == 24
    assert {s["id"] for s in sandbox.subscriptions()} == set(
        subscribed.values_list("subscription_id", flat=True)
    )
    assert len(public.handshakes) == 2 * 24  # notifications and lifecycle URLs
    [refused] = SyncConnection.objects.filter(subscription_id="")
    [error] = SyncError.objects.all()
    assert (error.sync_connection_id, error.stage, error.status_code) == (
        refused.pk,
        "create subscription",
        403,
    )
    [waiting] = SubscriptionRequest.objects.all()
    assert (waiting.sync_connection_id, waiting.attempts) == (refused.pk, 1)
    assert waiting.not_before > timezone.now()


def test_a_second_run_makes_nothing_twice(sandbox, tenant, public):
    # Given rooms subscribed on activation
    rooms = inactive_rooms(sandbox, tenant, 3)
    connection_setup.activate(rooms)
    made = {s["id"] for s in sandbox.subscriptions()}
    assert len(made) == 3

    # When they are asked for again (a retried activation) and the worker runs twice
    subscriptions.request_subscriptions([r.pk for r in rooms])
    since = last_request_id(sandbox)
    assert subscribe_pending() == {"subscribed": 0, "failed": 0}
    assert subscribe_pending() == {"subscribed": 0, "failed": 0}

    # Then Graph was not called, and the subscriptions are those first made
    assert graph_calls(sandbox, since) == []
    assert {s["id"] for s in sandbox.subscriptions()} == made
    assert not SubscriptionRequest.objects.exists()


def test_refresh_makes_lapsed_subscriptions_again_in_one_batch(sandbox, tenant, public):
    # Given three live rooms whose subscriptions lapsed
    rooms = [connected_room(sandbox, tenant, f"Room {n}", use_live_sync=True) for n in range(3)]
    SyncConnection.objects.update(subscription_expires_at=timezone.now() - dt.timedelta(hours=1))
    since = last_request_id(sandbox)

    # When the hourly refresh runs
    summary = refresh_subscriptions()

    # Then all three were made again in one $batch call, and the old ones deleted
    assert (summary.created, summary.failed) == (3, 0)
    assert sum(1 for r in sandbox.requests(since) if _creates(r)) == 1
    assert ("POST", "/v1.0/subscriptions") not in graph_calls(sandbox, since)
    assert len(sandbox.subscriptions()) == 3
    for room in rooms:
        before = room.subscription_id
        room.refresh_from_db()
        assert room.subscription_id not in ("", before)


def _creates(request) -> bool:
    """A $batch call of subscription creations."""
    inner = (request.get("body") or {}).get("requests") or []
    return (
        not request["inner"]
        and bool(inner)
        and all(str(i.get("url", "")).endswith("/subscriptions") for i in inner)
    )
