"""The tenant "Test" says exactly what worked or failed."""

import pytest
from django.urls import reverse

from tests.sync_helpers import sandbox_tenant

pytestmark = pytest.mark.django_db


def press_test(client, tenant):
    response = client.post(
        reverse("admin:syncconnections_tenant_run", args=[tenant.pk, "test_credentials"]),
        follow=True,
    )
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_good_credentials(sandbox, admin_client):
    sandbox.mailbox("room.a@contoso.test")

    assert press_test(admin_client, sandbox_tenant()) == [
        (
            "success",
            "Contoso: signed in to Microsoft 365 and read the directory "
            "(first user: room.a@contoso.test).",
        )
    ]


def test_bad_secret(sandbox, admin_client):
    tenant = sandbox_tenant()
    tenant.client_secret = "wrong"
    tenant.save()

    [(level, message)] = press_test(admin_client, tenant)

    assert level == "error"
    assert message.startswith(
        "Contoso: sign-in failed. Microsoft refused the client secret: "
        "AADSTS7000215: Invalid client secret provided."
    )


def test_unknown_tenant(sandbox, admin_client):
    tenant = sandbox_tenant(directory_id="no-such-tenant")

    [(level, message)] = press_test(admin_client, tenant)

    assert level == "error"
    assert message.startswith(
        "Contoso: sign-in failed. Microsoft does not know this directory "
        "(tenant) id: Unknown tenant 'no-such-tenant'"
    )


def test_missing_permission(sandbox, admin_client):
    sandbox.permissions(["Calendars.ReadWrite"])

    [(level, message)] = press_test(admin_client, sandbox_tenant())

    assert level == "error"
    assert message.startswith(
        "Contoso: signed in, but the app may not read the directory "
        "(grant User.Read.All and Calendars.ReadWrite as application "
        "permissions): 403 Authorization_RequestDenied: Insufficient "
        "privileges to complete the operation."
    )


def test_unreachable(sandbox, settings, admin_client):
    settings.GRAPH_AUTHORITY_HOST = "https://127.0.0.1:9"

    [(level, message)] = press_test(admin_client, sandbox_tenant())

    assert level == "error"
    assert message.startswith(
        "Contoso: sign-in failed. Microsoft 365 could not be reached or "
        "answered with an error; try again."
    )


def test_needs_the_test_permission(sandbox, client):
    from django.contrib.auth.models import Permission

    from tests import factories

    user = factories.UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_tenant", "change_tenant"])
    )
    client.force_login(user)

    response = client.post(
        reverse("admin:syncconnections_tenant_run", args=[sandbox_tenant().pk, "test_credentials"])
    )

    assert response.status_code == 403
    assert sandbox.requests() == []
