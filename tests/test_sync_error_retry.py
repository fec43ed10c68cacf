""" "Retry" on sync errors re-runs the failed operation; success marks the error resolved."""

import pytest

from bookings.models import Direction, Reservation
from errors.models import SyncError
from syncconnections.inbound.delta import sync_down
from tests import factories
from tests.helpers import messages_of
from tests.sync_helpers import connected_room, meeting

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/errors/syncerror/"


def retry(client, *errors):
    response = client.post(
        CHANGELIST, {"action": "retry", "_selected_action": [e.pk for e in errors]}, follow=True
    )
    return messages_of(response)


def test_a_failed_sync_down_is_synced_again(sandbox, room, admin_client):
    sandbox.outlook_create(room.user_id, **meeting())
    sandbox.fault("/calendarView/delta", status=403, times=1)
    sync_down(room.pk)
    error = SyncError.objects.get()

    shown = retry(admin_client, error)

    error.refresh_from_db()
    assert (error.operation, error.stage, error.status_code) == ("sync_down", "delta page", 403)
    assert (error.resolved, error.retry_count) == (True, 1)
    assert Reservation.objects.get().direction == Direction.INBOUND
    assert shown == ["Retrying 1 error(s); each is marked resolved when its operation succeeds."]


def test_a_failed_subscription_is_made_again(
    sandbox, tenant, settings, webhook_receiver, admin_client
):
    settings.PUBLIC_BASE_URL = webhook_receiver.url
    sandbox.fault("/subscriptions$", status=403, times=1)
    live_room = connected_room(sandbox, tenant, use_live_sync=True)
    error = SyncError.objects.get()

    retry(admin_client, error)

    error.refresh_from_db()
    live_room.refresh_from_db()
    [subscription] = sandbox.subscriptions()
    assert (error.operation, error.stage) == ("subscription_refresh", "create subscription")
    assert (error.resolved, error.retry_count) == (True, 1)
    assert subscription["id"] == live_room.subscription_id


def test_what_cannot_be_run_again_is_skipped_with_a_message(admin_client):
    orphan = factories.SyncErrorFactory(reservation=None, operation="create")
    resolved = factories.SyncErrorFactory(resolved=True, resolved_at="2026-11-01T10:00Z")

    shown = retry(admin_client, orphan, resolved)

    assert shown == ["Not retried: 2 error(s) already resolved or with nothing to run again here."]
    assert list(SyncError.objects.order_by("pk").values_list("retry_count", flat=True)) == [0, 0]
