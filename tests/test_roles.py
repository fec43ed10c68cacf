"""setup_roles creates the three staff groups with exactly their permissions."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from backoffice.roles import ROLES
from tests import factories
from tests.helpers import member_of

pytestmark = pytest.mark.django_db


def group_permissions():
    return {
        group.name: sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
        )
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_setup_roles_gives_each_group_exactly_its_permissions():
    call_command("setup_roles")

    assert group_permissions() == {name: sorted(perms) for name, perms in ROLES.items()}


def test_setup_roles_twice_changes_nothing_and_removes_strays():
    call_command("setup_roles")
    first = group_permissions()
    support = Group.objects.get(name="Support")
    support.permissions.add(*Group.objects.get(name="Integration admin").permissions.all())

    call_command("setup_roles")

    assert Group.objects.count() == 3
    assert group_permissions() == first


def test_support_cannot_open_a_sync_connection(client):
    connection = factories.SyncConnectionFactory()
    client.force_login(member_of("Support"))

    response = client.get(
        reverse("admin:syncconnections_syncconnection_change", args=[connection.pk])
    )

    assert response.status_code == 403


def test_support_reads_logs_but_cannot_change_them_or_decide_requests(client):
    entry = factories.CompanyLogEntryFactory()
    request = factories.CancellationRequestFactory()
    user = member_of("Support")
    client.force_login(user)

    log_page = client.get(reverse("admin:syncconnections_companylogentry_change", args=[entry.pk]))
    request_page = client.get(
        reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
    )

    assert log_page.status_code == 200
    assert request_page.status_code == 200
    assert request_page.context["has_change_permission"] is False
    assert not user.has_perm("cancellations.approve_cancellationrequest")
    assert not user.has_perm("bookings.change_reservation")


def test_back_office_decides_requests_but_cannot_touch_connections(client):
    user = member_of("Back office")

    assert user.has_perm("cancellations.approve_cancellationrequest")
    assert user.has_perm("cancellations.reject_cancellationrequest")
    assert user.has_perm("bookings.add_reservation")
    assert not user.has_perm("syncconnections.view_syncconnection")
    assert not user.has_perm("syncconnections.view_tenant")


def test_integration_admin_manages_connections():
    user = member_of("Integration admin")

    assert user.has_perm("syncconnections.change_syncconnection")
    assert user.has_perm("syncconnections.activate_syncconnection")
    assert user.has_perm("accounts_pms.retry_callout")
    assert not user.has_perm("cancellations.approve_cancellationrequest")
    assert not user.has_perm("bookings.delete_reservation")
