"""Connection rules beyond the database constraints."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from syncconnections.models import SyncConnection
from tests import factories

pytestmark = pytest.mark.django_db


def validated_connection(**fields):
    return factories.SyncConnectionFactory(
        valid=True,
        active=True,
        calendar_id="AAMkCal=",
        delta_token="delta-1",
        secondary_delta_token="delta-2",
        subscription_id="sub-1",
        subscription_client_state="state",
        **fields,
    )


@pytest.mark.parametrize("change", ["user_id", "calendar_name", "tenant"])
def test_pointing_a_connection_elsewhere_forgets_what_was_learned(change):
    connection = validated_connection(calendar_name="")
    new_value = {
        "user_id": "other.room@contoso.test",
        "calendar_name": "Bookings",
        "tenant": factories.TenantFactory(),
    }[change]

    setattr(connection, change, new_value)
    connection.save()

    stored = SyncConnection.objects.get(pk=connection.pk)
    assert (
        stored.valid,
        stored.active,
        stored.calendar_id,
        stored.delta_token,
        stored.secondary_delta_token,
        stored.subscription_id,
        stored.subscription_client_state,
    ) == (False, False, "", "", "", "", "")


def test_saving_other_fields_keeps_what_was_learned():
    connection = validated_connection()

    connection.use_live_sync = True
    connection.save()
    connection.delta_token = "delta-3"
    connection.save(update_fields=["delta_token"])

    stored = SyncConnection.objects.get(pk=connection.pk)
    assert (stored.valid, stored.active, stored.calendar_id, stored.delta_token) == (
        True,
        True,
        "AAMkCal=",
        "delta-3",
    )


def test_same_mailbox_in_another_case_is_refused_with_a_message():
    connection = factories.SyncConnectionFactory(calendar_name="Bookings")
    duplicate = SyncConnection(
        tenant=connection.tenant,
        resource=factories.ResourceFactory(),
        user_id=connection.user_id.upper(),
        calendar_name="BOOKINGS",
    )

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert caught.value.messages == ["This mailbox calendar is already connected."]


def test_active_is_read_only_without_the_activate_permission(client):
    connection = factories.SyncConnectionFactory()
    url = reverse("admin:syncconnections_syncconnection_change", args=[connection.pk])
    editor = factories.UserFactory()
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_syncconnection", "change_syncconnection"])
    )
    client.force_login(editor)

    without = client.get(url).context["adminform"].form.fields
    editor.user_permissions.add(Permission.objects.get(codename="activate_syncconnection"))
    editor = type(editor).objects.get(pk=editor.pk)  # drop the permission cache
    client.force_login(editor)
    with_permission = client.get(url).context["adminform"].form.fields

    assert "active" not in without
    assert "active" in with_permission
