"""The connection's change form does what the Activate and Deactivate actions do, and ticking
or unticking live sync subscribes or drops the subscription."""

import pytest
from django.urls import reverse

from bookings.models import Reservation
from syncconnections.models import SyncConnection
from tests.helpers import messages_of
from tests.sync_helpers import connected_room, meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_room(sandbox, tenant, settings, webhook_receiver):
    settings.PUBLIC_BASE_URL = webhook_receiver.url
    return connected_room(sandbox, tenant, use_live_sync=True)


def save_form(admin_client, connection, **ticked):
    """Post the change form as it stands, with `active` and `use_live_sync` as given."""
    data = {
        "tenant": connection.tenant_id,
        "user_id": connection.user_id,
        "user_type": connection.user_type,
        "calendar_name": connection.calendar_name,
        "resource": connection.resource_id,
        **{name: "on" for name, on in ticked.items() if on},
    }
    response = admin_client.post(
        reverse("admin:syncconnections_syncconnection_change", args=[connection.pk]), data
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return messages_of(response)


def test_unticking_active_drops_the_subscription(sandbox, live_room, admin_client):
    shown = save_form(admin_client, live_room, active=False, use_live_sync=True)

    live_room.refresh_from_db()
    assert (live_room.active, live_room.subscription_id) == (False, "")
    assert sandbox.subscriptions() == []
    assert f"Deactivated {live_room}; it no longer syncs." in shown


def test_ticking_active_subscribes_and_catches_up(sandbox, live_room, admin_client):
    save_form(admin_client, live_room, active=False, use_live_sync=True)
    sandbox.outlook_create(live_room.user_id, **meeting("While inactive"))

    shown = save_form(admin_client, live_room, active=True, use_live_sync=True)

    live_room.refresh_from_db()
    [subscription] = sandbox.subscriptions()
    assert subscription["id"] == live_room.subscription_id != ""
    assert Reservation.objects.get().title == "While inactive"
    assert f"Activated {live_room}; 0 future reservations are being sent to Outlook." in shown


def test_unticking_live_sync_drops_the_subscription(sandbox, live_room, admin_client):
    save_form(admin_client, live_room, active=True, use_live_sync=False)

    live_room.refresh_from_db()
    assert (live_room.active, live_room.use_live_sync) == (True, False)
    assert (live_room.subscription_id, live_room.subscription_expires_at) == ("", None)
    assert sandbox.subscriptions() == []


def test_ticking_live_sync_again_subscribes_anew_and_catches_up(sandbox, live_room, admin_client):
    old_id = live_room.subscription_id
    save_form(admin_client, live_room, active=True, use_live_sync=False)
    sandbox.outlook_create(live_room.user_id, **meeting("While not live"))

    save_form(admin_client, live_room, active=True, use_live_sync=True)

    live_room.refresh_from_db()
    [subscription] = sandbox.subscriptions()
    assert subscription["id"] == live_room.subscription_id not in ("", old_id)
    assert Reservation.objects.get().title == "While not live"


def test_saving_without_changing_live_sync_leaves_the_subscription(
    sandbox, live_room, admin_client
):
    save_form(admin_client, live_room, active=True, use_live_sync=True)

    assert [s["id"] for s in sandbox.subscriptions()] == [live_room.subscription_id]
    assert SyncConnection.objects.get().subscription_id == live_room.subscription_id
