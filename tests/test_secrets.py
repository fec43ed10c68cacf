"""Client secrets are encrypted at rest, never rendered back, and their key can be rotated."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts_pms.models import StayNTouchSettings
from common.encryption import SecretDecryptionError
from syncconnections.models import Tenant
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "Q~8xw.super-secret-value_1234"


def stored_column(model, pk, column="client_secret"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "factory",
    [factories.TenantFactory, factories.StayNTouchSettingsFactory],
    ids=["graph", "rover"],
)
def test_secret_is_not_stored_in_clear_text(factory):
    obj = factory(client_secret=SECRET)

    raw = stored_column(type(obj), obj.pk)

    assert SECRET not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert type(obj).objects.get(pk=obj.pk).client_secret == SECRET


def test_subscription_client_state_is_encrypted_too():
    connection_row = factories.SyncConnectionFactory(subscription_client_state="client-state-42")

    raw = stored_column(type(connection_row), connection_row.pk, "subscription_client_state")

    assert "client-state-42" not in raw


@pytest.mark.parametrize(
    ("factory", "url_name"),
    [
        (factories.TenantFactory, "admin:syncconnections_tenant_change"),
        (factories.StayNTouchSettingsFactory, "admin:accounts_pms_stayntouchsettings_change"),
    ],
    ids=["graph", "rover"],
)
def test_admin_change_form_never_echoes_the_secret(admin_client, factory, url_name):
    obj = factory(client_secret=SECRET)

    page = admin_client.get(reverse(url_name, args=[obj.pk])).content.decode()

    assert SECRET not in page
    assert 'name="client_secret"' in page
    assert "stored — leave blank to keep it" in page


def tenant_form_data(tenant, **changes):
    data = {
        "name": tenant.name,
        "graph_api_version": "v1.0",
        "directory_id": tenant.directory_id,
        "client_id": tenant.client_id,
        "client_secret": "",
        "email_domains": tenant.email_domains,
        "sync_mode": tenant.sync_mode,
        "calendar_provider": tenant.calendar_provider,
        "failure_notification_emails": "",
        "max_occurrences": tenant.max_occurrences,
        "max_updates": tenant.max_updates,
    }
    return {**data, **changes}


def test_blank_secret_on_change_keeps_the_stored_one(admin_client):
    tenant = factories.TenantFactory(client_secret=SECRET)
    url = reverse("admin:syncconnections_tenant_change", args=[tenant.pk])

    response = admin_client.post(url, tenant_form_data(tenant, name="Renamed"))

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.name, tenant.client_secret) == ("Renamed", SECRET)


def test_typed_secret_replaces_the_stored_one(admin_client):
    tenant = factories.TenantFactory(client_secret=SECRET)
    url = reverse("admin:syncconnections_tenant_change", args=[tenant.pk])

    admin_client.post(url, tenant_form_data(tenant, client_secret="new-secret"))

    tenant.refresh_from_db()
    assert tenant.client_secret == "new-secret"


def test_a_new_tenant_needs_a_secret(admin_client):
    data = tenant_form_data(factories.TenantFactory.build())

    response = admin_client.post(reverse("admin:syncconnections_tenant_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "client_secret": ["The client secret is required."]
    }
    assert Tenant.objects.count() == 0


def test_a_viewer_sees_only_whether_a_secret_is_set(client):
    tenant = factories.TenantFactory(client_secret=SECRET)
    viewer = factories.UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    client.force_login(viewer)

    response = client.get(reverse("admin:syncconnections_tenant_change", args=[tenant.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in page
    assert '<div class="readonly">Set</div>' in page


def test_rotation_re_encrypts_with_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [old_key]
    tenant = factories.TenantFactory(client_secret=SECRET)
    rover = factories.StayNTouchSettingsFactory(client_secret="rover-secret")

    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    call_command("rotate_encryption_key")

    new_only = Fernet(new_key.encode())
    assert new_only.decrypt(stored_column(Tenant, tenant.pk).encode()).decode() == SECRET
    assert (
        new_only.decrypt(stored_column(StayNTouchSettings, rover.pk).encode()).decode()
        == "rover-secret"
    )
    settings.FIELD_ENCRYPTION_KEY = [new_key]  # the old key can go
    assert Tenant.objects.get(pk=tenant.pk).client_secret == SECRET


def test_a_secret_unreadable_with_the_configured_keys_fails_clearly(settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    tenant = factories.TenantFactory(client_secret=SECRET)
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]

    with pytest.raises(SecretDecryptionError, match="cannot be decrypted with any key"):
        Tenant.objects.get(pk=tenant.pk)


def test_a_malformed_key_is_reported_by_the_system_check(settings):
    from config.checks import field_encryption_keys

    settings.FIELD_ENCRYPTION_KEY = ["not-a-fernet-key"]

    [error] = field_encryption_keys(None)

    assert error.id == "bookbridge.E001"
    assert error.msg.startswith("FIELD_ENCRYPTION_KEY entry 1 is not a valid Fernet key")


def test_dumpdata_leaves_secrets_out():
    from io import StringIO

    factories.TenantFactory(client_secret=SECRET)
    out = StringIO()

    call_command("dumpdata", "syncconnections.tenant", stdout=out)

    assert SECRET not in out.getvalue()
    assert '"client_secret": ""' in out.getvalue()


def test_saving_without_typing_a_secret_does_not_log_it_as_changed(admin_client):
    from django.contrib.admin.models import LogEntry

    tenant = factories.TenantFactory(client_secret=SECRET)
    url = reverse("admin:syncconnections_tenant_change", args=[tenant.pk])

    admin_client.post(url, tenant_form_data(tenant, name="Renamed"))
    admin_client.post(url, tenant_form_data(tenant, name="Renamed", client_secret="rotated"))

    messages = [e.get_change_message() for e in LogEntry.objects.order_by("pk")]
    assert messages == ["Changed Name.", "Changed Client secret."]
