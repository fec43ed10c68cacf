"""The API clients' admin, as an integration admin uses it: add a client and see its secret
once, rotate it with a grace period, get new credentials, revoke tokens, delete; no client
with more rights than its maker; support reads the API audit log."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from api import clients
from api.models import ApiAuditEntry, ApiClient
from tests import factories
from tests.helpers import basic_auth, member_of, messages_of

pytestmark = pytest.mark.django_db
CLIENTS = "/admin/api/apiclient/"


@pytest.fixture
def integration_admin(client):
    client.force_login(member_of("Integration admin"))
    return client


def token_status(client_id, secret):
    answer = Client().post(
        "/api/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client_id, secret),
    )
    return answer.status_code


def shown_secret(page) -> str:
    match = re.search(r'<code id="client-secret">([^<]+)</code>', page.content.decode())
    assert match, page.content.decode()
    return match.group(1)


def test_adding_a_client_shows_its_secret_once(integration_admin):
    support = Group.objects.get(name="Support")

    page = integration_admin.post(
        f"{CLIENTS}add/",
        {"name": "Billing", "role": support.pk, "allowed_addresses": "", "is_active": "on"},
    )

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    client = ApiClient.objects.get()
    secret = shown_secret(page)
    assert f'<code id="client-id">{client.client_id}</code>' in page.content.decode()
    assert "Copy the secret now: it is shown only this once." in page.content.decode()
    assert token_status(client.client_id, secret) == 200
    change_page = integration_admin.get(f"{CLIENTS}{client.pk}/change/").content.decode()
    list_page = integration_admin.get(CLIENTS).content.decode()
    assert secret not in change_page and secret not in list_page
    assert client.client_id in change_page
    assert "Support" in list_page
    assert [g.name for g in client.user.groups.all()] == ["Support"]
    assert not client.user.has_usable_password()


def test_a_client_gets_no_role_or_permission_its_maker_lacks(integration_admin):
    form = integration_admin.get(f"{CLIENTS}add/").context["adminform"].form

    roles = [g.name for g in form.fields["role"].queryset]
    permissions = {
        f"{p.content_type.app_label}.{p.codename}" for p in form.fields["permissions"].queryset
    }
    refused = integration_admin.post(
        f"{CLIENTS}add/",
        {"name": "Escalator", "role": Group.objects.get(name="Back office").pk, "is_active": "on"},
    )

    assert roles == ["Integration admin", "Support"]
    assert "syncconnections.activate_syncconnection" in permissions
    assert "bookings.add_reservation" not in permissions
    assert "auth.change_user" not in permissions
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["role"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert ApiClient.objects.count() == 0


def test_a_client_needs_a_role_or_permissions_and_real_addresses(integration_admin):
    page = integration_admin.post(
        f"{CLIENTS}add/", {"name": "Billing", "allowed_addresses": "intranet", "is_active": "on"}
    )

    errors = page.context["adminform"].form.errors
    assert errors["allowed_addresses"] == [
        "Not an address or network (such as 203.0.113.7 or 203.0.113.0/24): intranet."
    ]
    assert errors["__all__"] == [
        "Choose a role or some permissions: without either the client may do nothing."
    ]
    assert (ApiClient.objects.count(), Application.objects.count()) == (0, 0)


def test_rotating_asks_for_the_grace_then_shows_the_new_secret(integration_admin):
    client, old = clients.create("Billing", group=Group.objects.get(name="Support"))
    run = f"{CLIENTS}{client.pk}/run/rotate_secret/"

    asked = integration_admin.post(run, {"action": "rotate_secret"})
    wrong = integration_admin.post(run, {"action": "rotate_secret", "grace_hours": "-1"})
    done = integration_admin.post(run, {"action": "rotate_secret", "grace_hours": "2"})

    assert "Keep the current secret working for (hours)" in asked.content.decode()
    assert "Ensure this value is greater than or equal to 0." in wrong.content.decode()
    new = shown_secret(done)
    assert "The previous secret keeps working until" in done.content.decode()
    assert token_status(client.client_id, new) == 200
    assert token_status(client.client_id, old) == 200
    client.refresh_from_db()
    assert client.previous_secret_valid_until is not None


def test_get_client_credentials_makes_a_new_secret_and_the_old_stops(integration_admin):
    client, old = clients.create("Billing", group=Group.objects.get(name="Support"))

    page = integration_admin.post(
        f"{CLIENTS}{client.pk}/run/get_credentials/", {"action": "get_credentials"}
    )

    new = shown_secret(page)
    assert "The previous secret no longer works." in page.content.decode()
    assert token_status(client.client_id, old) == 401
    assert token_status(client.client_id, new) == 200


def test_revoking_tokens_in_the_admin_stops_them(integration_admin):
    client, secret = clients.create("Billing", group=Group.objects.get(name="Support"))
    assert token_status(client.client_id, secret) == 200

    done = integration_admin.post(
        f"{CLIENTS}{client.pk}/run/revoke_tokens/", {"action": "revoke_tokens"}, follow=True
    )

    assert messages_of(done) == ["Revoked 1 token(s) of 1 client(s)."]
    assert AccessToken.objects.count() == 0


def test_deleting_a_client_removes_its_application_user_and_tokens_but_not_its_audit(
    integration_admin,
):
    client, secret = clients.create("Billing", group=Group.objects.get(name="Support"))
    token_status(client.client_id, "wrong")  # one refused entry
    token_status(client.client_id, secret)
    user_id = client.user_id

    integration_admin.post(f"{CLIENTS}{client.pk}/delete/", {"post": "yes"})

    assert (ApiClient.objects.count(), Application.objects.count()) == (0, 0)
    assert AccessToken.objects.count() == 0
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert list(ApiAuditEntry.objects.values_list("client_id", "client_name")) == [
        (None, "Billing")
    ]


@pytest.mark.parametrize(
    "role, clients_page, audit_page",
    [("Support", 403, 200), ("Back office", 403, 403), ("Integration admin", 200, 200)],
)
def test_who_sees_the_clients_and_the_audit_log(client, role, clients_page, audit_page):
    factories.ApiAuditEntryFactory(client_name="Billing")
    client.force_login(member_of(role))

    assert client.get(CLIENTS).status_code == clients_page
    assert client.get("/admin/api/apiauditentry/").status_code == audit_page


def test_the_audit_log_is_searched_by_whole_name_or_address_newest_first(admin_client):
    factories.ApiAuditEntryFactory(client_name="Billing", address="203.0.113.7", detail="first")
    factories.ApiAuditEntryFactory(client_name="Billing", address="198.51.100.1", detail="second")
    factories.ApiAuditEntryFactory(client_name="Other", address="203.0.113.7", detail="third")

    def details(query):
        page = admin_client.get("/admin/api/apiauditentry/", {"q": query})
        assert page.status_code == 200
        return [e.detail for e in page.context["cl"].result_list]

    assert details("Billing") == ["second", "first"]
    assert details("203.0.113.7") == ["third", "first"]
    assert details("Bill") == []
    assert details("not-an-address") == []
