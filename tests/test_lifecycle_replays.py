"""Lifecycle notifications come at least once: a replayed one changes nothing more than the
first. At most one live subscription per connection, always; refresh_subscriptions deletes
any other Graph holds for this site's notification URL."""

import datetime as dt

import pytest
from django.utils import timezone

from errors.models import SyncError
from syncconnections.graph import GraphClient, parse_datetime
from syncconnections.inbound import subscriptions
from syncconnections.inbound.subscriptions import refresh_subscriptions
from syncconnections.models import SyncConnection

pytestmark = pytest.mark.django_db(transaction=True)


def lifecycle_answers(sandbox):
    return [d["status"] for d in sandbox.notifications() if "/graph/lifecycle/" in d["url"]]


def test_a_subscription_removed_twenty_times_is_replaced_once(sandbox, live_room):
    old_id = live_room.subscription_id

    sandbox.lifecycle(old_id, "subscriptionRemoved", times=20)

    assert lifecycle_answers(sandbox) == [202] * 20
    live_room.refresh_from_db()
    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id]
    assert live_room.subscription_id != old_id
    assert list(SyncError.objects.all()) == []


def test_reauthorization_asked_five_times_renews_the_one_subscription(sandbox, live_room):
    SyncConnection.objects.filter(pk=live_room.pk).update(
        subscription_expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    sandbox.lifecycle(live_room.subscription_id, "reauthorizationRequired", times=5)

    assert lifecycle_answers(sandbox) == [202] * 5
    renewed = SyncConnection.objects.get(pk=live_room.pk)
    [subscription] = sandbox.subscriptions()
    assert subscription["id"] == renewed.subscription_id == live_room.subscription_id
    assert renewed.subscription_expires_at > timezone.now() + dt.timedelta(days=6)
    assert parse_datetime(subscription["expirationDateTime"]) == renewed.subscription_expires_at


def test_a_late_replay_about_a_replaced_subscription_is_ignored(sandbox, live_room):
    old_id = live_room.subscription_id
    sandbox.lifecycle(old_id, "subscriptionRemoved")
    assert lifecycle_answers(sandbox) == [202]
    live_room.refresh_from_db()
    new_id = live_room.subscription_id
    assert new_id != old_id

    # The task of the same notification, delivered again an hour later.
    assert subscriptions.resubscribe_job(live_room.pk, old_id) is False
    assert subscriptions.renew_job(live_room.pk, old_id) is False

    assert [s["id"] for s in sandbox.subscriptions()] == [new_id]


def test_refresh_deletes_subscriptions_for_our_url_that_no_connection_uses(
    sandbox, live_room, live_server, tenant
):
    client = GraphClient.for_tenant(tenant)
    ours = live_room.subscription_id

    def made_in_graph(url, days):
        return client.create_subscription(
            {
                "changeType": "created,updated,deleted",
                "notificationUrl": url,
                "lifecycleNotificationUrl": f"{live_server.url}/graph/lifecycle/",
                "resource": f"users/{live_room.user_id}/events",
                "expirationDateTime": (timezone.now() + dt.timedelta(days=days)).isoformat(),
                "clientState": "left-over",
            }
        )["id"]

    leaked = made_in_graph(f"{live_server.url}/graph/notifications/", days=3)
    just_made = made_in_graph(f"{live_server.url}/graph/notifications/", days=7)
    elsewhere = made_in_graph(f"{live_server.url}/graph/notifications/?site=staging", days=3)

    summary = refresh_subscriptions()

    assert summary.extra == 1
    # Ours and another site's stay; one made moments ago may be a subscribe on its way.
    assert sorted(s["id"] for s in sandbox.subscriptions()) == sorted([ours, just_made, elsewhere])
    assert leaked not in {s["id"] for s in sandbox.subscriptions()}
