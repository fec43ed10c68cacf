"""Sync connections through the API: read without secrets; validate, activate, deactivate
doing and saying what the admin's actions do."""

import pytest
from django.contrib.auth.models import Permission

from errors.models import SyncError
from syncconnections.models import SyncConnection
from tests import factories
from tests.helpers import client_for, error_of, member_of, result_ids
from tests.sync_helpers import connected_room

pytestmark = pytest.mark.django_db
CONNECTIONS = "/api/sync-connections/"


def test_a_connection_reads_without_its_secrets():
    connection = factories.SyncConnectionFactory(
        user_id="room.boardroom@contoso.test",
        tenant__name="Contoso",
        tenant__client_secret="tenant-secret-value",
        valid=True,
        active=True,
        calendar_id="AAMkCalendar=",
        delta_token="delta-token-value",
        secondary_delta_token="secondary-token-value",
        subscription_id="subscription-1",
        subscription_client_state="client-state-value",
    )

    response = client_for(member_of("Integration admin")).get(f"{CONNECTIONS}{connection.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert {k: body[k] for k in ("id", "tenant_name", "user_id", "valid", "active", "live")} == {
        "id": connection.pk,
        "tenant_name": "Contoso",
        "user_id": "room.boardroom@contoso.test",
        "valid": True,
        "active": True,
        "live": True,
    }
    assert body["calendar_id"] == "AAMkCalendar="
    for secret in ("tenant-secret-value", "token-value", "client-state-value", "subscription-1"):
        assert secret not in response.content.decode()
    assert not {"delta_token", "subscription_client_state", "subscription_id"} & set(body)


def test_the_list_filters_by_state():
    tenant = factories.TenantFactory()
    active = factories.SyncConnectionFactory(tenant=tenant, valid=True, active=True)
    idle = factories.SyncConnectionFactory(tenant=tenant)
    factories.SyncConnectionFactory()  # another tenant
    client = client_for(member_of("Integration admin"))

    def ids(**params):
        return result_ids(client.get(CONNECTIONS, params))

    assert ids(tenant=tenant.pk, active="true") == [active.pk]
    assert ids(tenant=tenant.pk, valid="false") == [idle.pk]
    assert ids(resource=idle.resource_id) == [idle.pk]


def test_validate_checks_the_mailbox_and_says_where_the_result_shows(sandbox, tenant):
    sandbox.mailbox("room.vermeer@contoso.test")
    connection = SyncConnection.objects.create(
        tenant=tenant,
        user_id="room.vermeer@contoso.test",
        resource=factories.ResourceFactory(mailbox_email="room.vermeer@contoso.test"),
    )

    response = client_for(member_of("Integration admin")).post(
        f"{CONNECTIONS}{connection.pk}/validate/"
    )

    connection.refresh_from_db()
    assert response.status_code == 202
    assert response.json()["message"] == (
        "Validation started for room.vermeer@contoso.test. The result shows in “Valid” and, "
        "if it fails, in the sync errors."
    )
    assert (connection.valid, connection.active) == (True, False)
    assert response.json()["connection"]["valid"] is True  # tasks run at once in tests


def test_a_mailbox_outside_the_tenants_domains_fails_validation_with_a_sync_error():
    connection = factories.SyncConnectionFactory(
        user_id="room@elsewhere.test", tenant__email_domains="contoso.test"
    )

    response = client_for(member_of("Integration admin")).post(
        f"{CONNECTIONS}{connection.pk}/validate/"
    )

    error = SyncError.objects.get()
    assert response.status_code == 202
    assert response.json()["connection"]["valid"] is False
    assert (error.operation, error.stage, error.sync_connection) == (
        "connection_setup",
        "domain check",
        connection,
    )


def test_only_a_valid_connection_is_activated():
    connection = factories.SyncConnectionFactory(user_id="room.hals@contoso.test")

    response = client_for(member_of("Integration admin")).post(
        f"{CONNECTIONS}{connection.pk}/activate/"
    )

    connection.refresh_from_db()
    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": "Not activated, because not valid: room.hals@contoso.test. Validate first.",
        "field": None,
        "details": {},
    }
    assert connection.active is False


def test_activate_and_deactivate_say_what_they_did(sandbox, tenant):
    room = connected_room(sandbox, tenant, activate_after_validation=False)
    factories.ReservationFactory(resource=room.resource)
    client = client_for(member_of("Integration admin"))

    activated = client.post(f"{CONNECTIONS}{room.pk}/activate/")
    again = client.post(f"{CONNECTIONS}{room.pk}/activate/")
    deactivated = client.post(f"{CONNECTIONS}{room.pk}/deactivate/")

    room.refresh_from_db()
    assert (activated.status_code, again.status_code, deactivated.status_code) == (200, 200, 200)
    assert activated.json()["message"] == (
        "Activated room.boardroom@contoso.test; 1 future reservations are being sent to Outlook."
    )
    assert activated.json()["connection"]["active"] is True
    assert again.json()["message"] == "The selected connections were already active."
    assert deactivated.json()["message"] == "Deactivated 1 connection(s); they no longer sync."
    assert room.active is False


def test_connections_are_for_integration_admins_only():
    connection = factories.SyncConnectionFactory()

    for role in ("Support", "Back office"):
        client = client_for(member_of(role))
        listed = client.get(CONNECTIONS)
        validate = client.post(f"{CONNECTIONS}{connection.pk}/validate/")
        assert (role, listed.status_code, validate.status_code) == (role, 403, 403)


def test_each_action_needs_its_own_permission():
    connection = factories.SyncConnectionFactory(valid=True)
    viewer = factories.UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_syncconnection"))
    client = client_for(viewer)

    read = client.get(f"{CONNECTIONS}{connection.pk}/")
    validate = client.post(f"{CONNECTIONS}{connection.pk}/validate/")
    activate = client.post(f"{CONNECTIONS}{connection.pk}/activate/")

    assert read.status_code == 200
    assert error_of(validate)["message"] == (
        "You need the permission syncconnections.validate_syncconnection for this."
    )
    assert error_of(activate)["message"] == (
        "You need the permission syncconnections.activate_syncconnection for this."
    )
    connection.refresh_from_db()
    assert connection.active is False
