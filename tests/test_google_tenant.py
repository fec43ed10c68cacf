"""A Google Workspace tenant: its settings checked when saved, and "Test" proving the key,
the domain-wide delegation of each scope and the admin's reading of the rooms, through the
sandbox's Google token endpoint and Directory API over HTTPS, saying exactly what failed."""

import json

import pytest
from django.core.exceptions import ValidationError

from syncconnections import tenant_check
from syncconnections.google import CALENDAR_SCOPE, DIRECTORY_RESOURCES_SCOPE
from syncconnections.models import CalendarProvider, Tenant
from tests.sync_helpers import google_tenant

pytestmark = pytest.mark.django_db
ADMIN = "admin@fabrikam.test"


def test_test_proves_key_delegation_and_rooms(sandbox):
    key = sandbox.google_service_account()
    sandbox.google_resource("boardroom@fabrikam.test", "Boardroom", capacity=12)
    sandbox.google_resource("studio@fabrikam.test", "Studio", capacity=4)

    result = tenant_check.check(google_tenant(key))

    assert result.ok, result.message
    assert result.message == (
        "Fabrikam: signed in to Google Workspace as admin@fabrikam.test with both scopes "
        "delegated, and read 2 rooms (calendar resources)."
    )


def test_a_scope_not_delegated_is_named(sandbox):
    key = sandbox.google_service_account(delegated_scopes=[DIRECTORY_RESOURCES_SCOPE])

    result = tenant_check.check(google_tenant(key))

    assert not result.ok
    assert result.message == (
        f"Fabrikam: the key works, but domain-wide delegation does not grant client id "
        f"{key['client_id']} the scope {CALENDAR_SCOPE}. Add it in Admin console > Security > "
        "Access and data control > API controls > Manage domain-wide delegation."
    )


def test_no_delegation_at_all_names_both_scopes(sandbox):
    key = sandbox.google_service_account(delegated_scopes=[])

    result = tenant_check.check(google_tenant(key))

    assert not result.ok
    assert f"the scopes {CALENDAR_SCOPE}, {DIRECTORY_RESOURCES_SCOPE}. Add them" in result.message


def test_an_unknown_admin_user_is_named(sandbox):
    key = sandbox.google_service_account()

    result = tenant_check.check(google_tenant(key, admin="nobody@fabrikam.test"))

    assert result.message == (
        "Fabrikam: sign-in failed. Google does not know the admin user nobody@fabrikam.test "
        "in this Workspace."
    )


def test_a_key_google_does_not_know_is_refused(sandbox):
    key = sandbox.google_service_account()
    other = sandbox.google_service_account(email="other@bookbridge-sync.iam.gserviceaccount.com")
    mixed = {**key, "private_key": other["private_key"], "private_key_id": other["private_key_id"]}

    result = tenant_check.check(google_tenant(mixed))

    assert not result.ok
    assert result.message.startswith(
        f"Fabrikam: sign-in failed. Google refused the key of {key['client_email']}: it was "
        "deleted, or it is not this service account's; create a new key."
    )


def test_a_user_who_is_not_an_admin_cannot_read_the_rooms(sandbox):
    key = sandbox.google_service_account()
    sandbox.google_user("anna@fabrikam.test", admin=False)

    result = tenant_check.check(google_tenant(key, admin="anna@fabrikam.test"))

    assert not result.ok
    assert result.message.startswith(
        "Fabrikam: signed in, but anna@fabrikam.test may not read the calendar resources: make "
        "them a super admin, or give them a role that may."
    )


@pytest.mark.parametrize(
    "key, message",
    [
        ("not json", "This is not a key file: it is not JSON."),
        (
            '{"type": "service_account"}',
            "This is not a service account key file: no client_email, private_key, client_id.",
        ),
        (
            '{"type": "authorized_user", "client_email": "a", "private_key": "k", '
            '"client_id": "1"}',
            "This key file is of type 'authorized_user'; a service account's is 'service_account' "
            "(IAM & Admin > Service accounts > Keys > Add key > JSON).",
        ),
    ],
)
def test_a_key_file_that_is_no_service_account_key_is_refused_when_saved(key, message):
    tenant = Tenant(
        name="Fabrikam",
        calendar_provider=CalendarProvider.GOOGLE_WORKSPACE,
        google_service_account_key=key,
        google_admin_email=ADMIN,
        email_domains="fabrikam.test",
    )

    with pytest.raises(ValidationError) as refused:
        tenant.full_clean()

    assert refused.value.message_dict == {"google_service_account_key": [message]}


def test_each_provider_needs_its_own_settings_only():
    google = Tenant(name="G", calendar_provider="google_workspace", email_domains="g.test")
    microsoft = Tenant(name="M", email_domains="m.test")

    with pytest.raises(ValidationError) as google_refused:
        google.full_clean()
    with pytest.raises(ValidationError) as microsoft_refused:
        microsoft.full_clean()

    assert google_refused.value.message_dict == {
        "google_service_account_key": ["The service account's key file is required."],
        "google_admin_email": ["The admin user to act as is required."],
    }
    assert microsoft_refused.value.message_dict == {
        "directory_id": ["The directory (tenant) ID is required."],
        "client_id": ["The application (client) ID is required."],
        "client_secret": ["The client secret is required."],
    }


def test_two_google_tenants_do_not_collide_on_empty_microsoft_ids(sandbox):
    key = sandbox.google_service_account()
    google_tenant(key)

    google_tenant(key, name="Tailspin", email_domains="tailspin.test")

    assert Tenant.objects.filter(directory_id="", client_id="").count() == 2


def test_an_integration_admin_sets_up_and_tests_a_google_tenant_in_the_admin(sandbox, client):
    from django.db import connection

    from tests.helpers import member_of, messages_of

    key = sandbox.google_service_account()
    sandbox.google_resource("boardroom@fabrikam.test", "Boardroom")
    client.force_login(member_of("Integration admin"))

    added = client.post(
        "/admin/syncconnections/tenant/add/",
        {
            "name": "Fabrikam",
            "calendar_provider": "google_workspace",
            "email_domains": "fabrikam.test",
            "graph_api_version": "v1.0",
            "google_service_account_key": json.dumps(key),
            "google_admin_email": ADMIN,
            "sync_mode": "bidirectional",
            "max_occurrences": 180,
            "max_updates": 50,
        },
    )
    tenant = Tenant.objects.get()
    tested = client.post(
        f"/admin/syncconnections/tenant/{tenant.pk}/run/test_credentials/",
        {"action": "test_credentials"},
        follow=True,
    )
    page = client.get(f"/admin/syncconnections/tenant/{tenant.pk}/change/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT google_service_account_key FROM syncconnections_tenant WHERE id = %s",
            [tenant.pk],
        )
        (stored,) = cursor.fetchone()

    assert added.status_code == 302
    assert tenant.google_service_account_key == json.dumps(key)
    assert "PRIVATE KEY" not in stored and key["client_email"] not in stored
    assert "PRIVATE KEY" not in page
    assert messages_of(tested)[-1:] == [
        "Fabrikam: signed in to Google Workspace as admin@fabrikam.test with both scopes "
        "delegated, and read 1 room (calendar resources)."
    ]


# --- rooms: import, validate, and (not yet) activate -------------------------------------------


@pytest.fixture
def google_rooms(sandbox):
    key = sandbox.google_service_account()
    sandbox.google_resource("boardroom@fabrikam.test", "Boardroom", capacity=12, buildingId="HQ")
    sandbox.google_resource("studio@fabrikam.test", "Studio", capacity=4)
    return google_tenant(key)


def test_the_rooms_of_a_google_tenant_are_imported_validated_and_activated(google_rooms, client):
    from django.urls import reverse

    from syncconnections.models import SyncConnection
    from tests import factories
    from tests.helpers import member_of, messages_of

    boardroom = factories.ResourceFactory(mailbox_email="boardroom@fabrikam.test")
    client.force_login(member_of("Integration admin"))
    url = reverse("admin:syncconnections_syncconnection_import_rooms")

    listed = client.get(url, {"tenant": google_rooms.pk})
    imported = client.post(
        f"{url}?tenant={google_rooms.pk}",
        {"room": ["boardroom@fabrikam.test"], "resource:boardroom@fabrikam.test": boardroom.pk},
        follow=True,
    )
    connection = SyncConnection.objects.get()

    assert listed.context["title"] == "Import rooms from Google Workspace"
    assert [(r.address, r.name, r.room_list, r.capacity) for r in listed.context["rows"]] == [
        ("boardroom@fabrikam.test", "Boardroom", "HQ", 12),
        ("studio@fabrikam.test", "Studio", "", 4),
    ]
    assert messages_of(imported)[-1] == (
        "Created 1 connection(s); they are being validated and become active once valid. "
        "Already connected: 0."
    )
    assert (connection.valid, connection.calendar_id, connection.active) == (
        True,
        "boardroom@fabrikam.test",
        True,
    )
    assert connection.delta_token  # activation read the calendar: its sync token is kept


def test_a_google_room_the_admin_cannot_reach_is_invalid_naming_it(google_rooms):
    from syncconnections import connection_setup
    from syncconnections.models import SyncConnection
    from tests import factories

    connection = SyncConnection.objects.create(
        tenant=google_rooms,
        user_id="nowhere@fabrikam.test",
        resource=factories.ResourceFactory(),
        user_type="resource",
    )

    result = connection_setup.validate(connection.pk)

    assert (result.valid, result.stage) == (False, "get calendar")
    assert result.message == (
        "Google Workspace has no calendar nowhere@fabrikam.test that admin@fabrikam.test may reach."
    )


def test_the_api_activates_a_google_connection(google_rooms):
    from syncconnections.models import SyncConnection
    from tests import factories
    from tests.helpers import client_for, member_of

    connection = SyncConnection.objects.create(
        tenant=google_rooms,
        user_id="boardroom@fabrikam.test",
        resource=factories.ResourceFactory(),
        user_type="resource",
        valid=True,
        calendar_id="boardroom@fabrikam.test",
    )

    answer = client_for(member_of("Integration admin")).post(
        f"/api/sync-connections/{connection.pk}/activate/"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["message"].startswith(f"Activated {connection}; 0 future")
    connection.refresh_from_db()
    assert connection.active is True
