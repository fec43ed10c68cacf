"""Live sync subscriptions: created on activation, deleted on deactivation, kept renewed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Reservation
from errors.models import SyncError
from syncconnections import connection_setup
from syncconnections.graph import parse_datetime
from syncconnections.inbound.subscriptions import refresh_subscriptions
from syncconnections.models import SyncConnection
from tests.sync_helpers import connected_room, graph_calls, last_request_id, meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(settings, webhook_receiver):
    """Graph's handshakes go to a receiver standing in for this site."""
    settings.PUBLIC_BASE_URL = webhook_receiver.url
    return webhook_receiver


@pytest.fixture
def live_room(sandbox, tenant, public):
    return connected_room(sandbox, tenant, use_live_sync=True)


def test_activating_a_live_connection_subscribes(sandbox, live_room, public):
    [subscription] = sandbox.subscriptions()

    live_room.refresh_from_db()
    assert subscription["id"] == live_room.subscription_id
    assert subscription["mailbox"] == live_room.user_id
    assert subscription["changeType"] == "created,deleted,updated"
    assert subscription["notificationUrl"] == f"{public.url}/graph/notifications/"
    assert subscription["lifecycleNotificationUrl"] == f"{public.url}/graph/lifecycle/"
    assert subscription["clientState"] == live_room.subscription_client_state
    assert len(live_room.subscription_client_state) >= 40
    lifetime = live_room.subscription_expires_at - timezone.now()
    assert dt.timedelta(days=6, hours=23) < lifetime <= dt.timedelta(minutes=10080)
    assert public.handshakes == ["/graph/notifications/", "/graph/lifecycle/"]


def test_a_named_calendar_is_subscribed_to_by_its_id(sandbox, tenant, public):
    from tests.sync_helpers import connected_staff

    staff = connected_staff(sandbox, tenant, calendar="Room bookings")
    SyncConnection.objects.filter(pk=staff.pk).update(use_live_sync=True, active=False)
    connection_setup.activate([SyncConnection.objects.get(pk=staff.pk)])

    [subscription] = sandbox.subscriptions()
    assert subscription["resource"] == (
        f"users/{staff.user_id}/calendars/{staff.calendar_id}/events"
    )


def test_deactivating_unsubscribes(sandbox, live_room):
    connection_setup.deactivate([live_room])

    live_room.refresh_from_db()
    assert sandbox.subscriptions() == []
    assert (live_room.subscription_id, live_room.subscription_expires_at) == ("", None)


def test_a_failed_handshake_is_a_subscription_refresh_error(sandbox, tenant, public):
    public.echo_wrong = True

    connected_room(sandbox, tenant, use_live_sync=True)

    error = SyncError.objects.get()
    assert (error.operation, error.stage, error.status_code) == (
        "subscription_refresh",
        "create subscription",
        400,
    )
    assert "Response must exactly match validationToken" in error.error_message
    assert sandbox.subscriptions() == []


def test_refresh_renews_what_expires_within_a_day(sandbox, live_room):
    soon = timezone.now() + dt.timedelta(hours=3)
    SyncConnection.objects.filter(pk=live_room.pk).update(subscription_expires_at=soon)

    summary = refresh_subscriptions()

    live_room.refresh_from_db()
    assert (summary.renewed, summary.created, summary.failed) == (1, 0, 0)
    assert live_room.subscription_expires_at > timezone.now() + dt.timedelta(days=6)
    [subscription] = sandbox.subscriptions()
    assert subscription["id"] == live_room.subscription_id


def test_refresh_recreates_a_lapsed_one_and_catches_up(sandbox, live_room):
    sandbox.call("POST", f"subscriptions/{live_room.subscription_id}/expire")
    SyncConnection.objects.filter(pk=live_room.pk).update(
        subscription_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    sandbox.outlook_create(live_room.user_id, **meeting("While lapsed"))
    old_id = live_room.subscription_id

    summary = refresh_subscriptions()

    live_room.refresh_from_db()
    assert (summary.created, summary.failed) == (1, 0)
    assert live_room.subscription_id not in ("", old_id)
    assert Reservation.objects.get().title == "While lapsed"  # caught up with delta


def test_refresh_renews_one_graph_forgot_by_making_it_again(sandbox, live_room):
    sandbox.lifecycle(live_room.subscription_id, "subscriptionRemoved")  # gone in Graph
    SyncConnection.objects.filter(pk=live_room.pk).update(
        subscription_expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    refresh_subscriptions()

    live_room.refresh_from_db()
    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id]


def test_lifecycle_reauthorization_renews(client, sandbox, live_room):
    subscription_id = live_room.subscription_id
    SyncConnection.objects.filter(pk=live_room.pk).update(
        subscription_expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    response = client.post(
        "/graph/lifecycle/",
        {
            "value": [
                {
                    "subscriptionId": live_room.subscription_id,
                    "clientState": live_room.subscription_client_state,
                    "lifecycleEvent": "reauthorizationRequired",
                }
            ]
        },
        content_type="application/json",
    )

    live_room.refresh_from_db()
    assert response.status_code == 202
    assert live_room.subscription_expires_at > timezone.now() + dt.timedelta(days=6)
    # Renewed, not made again.
    assert live_room.subscription_id == subscription_id
    [subscription] = sandbox.subscriptions()
    assert subscription["id"] == subscription_id
    assert parse_datetime(subscription["expirationDateTime"]) == live_room.subscription_expires_at


def test_lifecycle_subscription_removed_recreates_and_catches_up(client, sandbox, live_room):
    old_id = live_room.subscription_id
    sandbox.lifecycle(old_id, "subscriptionRemoved")
    sandbox.outlook_create(live_room.user_id, **meeting("While removed"))

    response = client.post(
        "/graph/lifecycle/",
        {
            "value": [
                {
                    "subscriptionId": old_id,
                    "clientState": live_room.subscription_client_state,
                    "lifecycleEvent": "subscriptionRemoved",
                }
            ]
        },
        content_type="application/json",
    )

    live_room.refresh_from_db()
    assert response.status_code == 202
    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id] != [old_id]
    assert Reservation.objects.get().title == "While removed"


def test_refresh_subscriptions_command_is_quiet_and_idempotent(sandbox, live_room, capsys):
    call_command("refresh_subscriptions")
    call_command("refresh_subscriptions")

    assert capsys.readouterr().out == ""
    assert len(sandbox.subscriptions()) == 1


def test_a_failed_renewal_is_a_subscription_refresh_error(sandbox, live_room):
    SyncConnection.objects.filter(pk=live_room.pk).update(
        subscription_expires_at=timezone.now() + dt.timedelta(hours=3)
    )
    sandbox.fault("subscriptions/", method="PATCH", status=403, message="Access is denied.")

    summary = refresh_subscriptions()

    live_room.refresh_from_db()
    error = SyncError.objects.get()
    assert (summary.renewed, summary.failed) == (0, 1)
    assert (error.operation, error.stage, error.status_code, error.sync_connection) == (
        "subscription_refresh",
        "renew subscription",
        403,
        live_room,
    )
    assert "Access is denied." in error.error_message
    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id]


def test_a_failed_deletion_is_a_subscription_refresh_error_and_keeps_the_id(sandbox, live_room):
    sandbox.fault("subscriptions/", method="DELETE", status=403, message="Access is denied.")

    connection_setup.deactivate([live_room])

    live_room.refresh_from_db()
    error = SyncError.objects.get()
    assert (error.operation, error.stage, error.status_code) == (
        "subscription_refresh",
        "delete subscription",
        403,
    )
    # Kept, so that the hourly refresh deletes it once Graph answers.
    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id] != [""]
    refresh_subscriptions()
    live_room.refresh_from_db()
    assert (sandbox.subscriptions(), live_room.subscription_id) == ([], "")


def test_refresh_renews_many_in_batches_each_answer_for_its_own(sandbox, tenant, public):
    """Twenty renewals a $batch call; a subscription Graph forgot is made again and a refused
    renewal is recorded, each for its own connection only."""
    rooms = [connected_room(sandbox, tenant, f"Room {n}", use_live_sync=True) for n in range(22)]
    for room in rooms:
        room.refresh_from_db()
    SyncConnection.objects.update(subscription_expires_at=timezone.now() + dt.timedelta(hours=2))
    forgotten, refused = rooms[3], rooms[20]
    sandbox.lifecycle(forgotten.subscription_id, "subscriptionRemoved")
    sandbox.fault(f"/subscriptions/{refused.subscription_id}$", method="PATCH", status=403, times=1)
    since = last_request_id(sandbox)

    summary = refresh_subscriptions()

    calls = graph_calls(sandbox, since)
    renewals = [r for r in sandbox.requests(since) if r["inner"] and r["method"] == "PATCH"]
    assert len(renewals) == 22
    # Two for the renewals, one for the forgotten connection's catch-up read.
    assert calls.count(("POST", "/v1.0/$batch")) == 3
    assert ("POST", "/v1.0/subscriptions") in calls  # the forgotten one, made again
    assert not any(method == "PATCH" for method, _ in calls)  # no renewal on its own
    assert (summary.renewed, summary.failed) == (21, 1)
    [error] = SyncError.objects.all()
    assert (error.sync_connection_id, error.stage) == (refused.pk, "renew subscription")
    week = timezone.now() + dt.timedelta(days=6)
    assert set(
        SyncConnection.objects.filter(subscription_expires_at__gt=week).values_list("pk", flat=True)
    ) == {r.pk for r in rooms} - {refused.pk}
