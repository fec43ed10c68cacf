"""The admin index shows sync health, each figure a link to the list it counts."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from accounts_pms.models import StayNTouchRequest
from errors.models import SyncError
from tests import factories

pytestmark = pytest.mark.django_db


def figures(response):
    return {
        section.title: [(f.label, f.value, f.url, f.attention) for f in section.figures]
        for section in response.context["sections"]
    }


def seed():
    now = timezone.now()
    factories.SyncConnectionFactory(valid=False)
    factories.SyncConnectionFactory(valid=True, active=False)
    waiting = factories.SyncConnectionFactory(valid=True, active=True)
    factories.SyncConnectionFactory(
        valid=True,
        active=True,
        use_live_sync=True,
        subscription_id=f"sub-{waiting.pk}",
        last_synced_at=now - dt.timedelta(minutes=5),
    )
    for operation in ("sync_down", "sync_down", "create"):
        factories.SyncErrorFactory(operation=operation, sync_connection=waiting)
    old = factories.SyncErrorFactory(operation="delete", sync_connection=waiting)
    SyncError.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=25))
    factories.CancellationRequestFactory(sync_connection=waiting)
    factories.CancellationRequestFactory(sync_connection=waiting, state="approved", decided_at=now)
    StayNTouchRequest.objects.create(operation="post_charges", state="failed")
    StayNTouchRequest.objects.create(operation="post_charges", state="succeeded")
    OrmQ.objects.create(key=Conf.CLUSTER_NAME, payload="x", lock=now - dt.timedelta(minutes=3))


CONNECTIONS = "/admin/syncconnections/syncconnection/"


def test_an_admin_sees_every_figure_with_its_link(admin_client):
    seed()

    response = admin_client.get("/admin/")

    shown = figures(response)
    assert shown["Microsoft 365 connections"] == [
        ("Not valid", "1", f"{CONNECTIONS}?state=invalid", True),
        ("Valid, inactive", "1", f"{CONNECTIONS}?state=inactive", False),
        ("Active, waiting for its first sync", "1", f"{CONNECTIONS}?state=waiting", False),
        ("Syncing", "1", f"{CONNECTIONS}?state=syncing", False),
        ("Live (subscribed)", "1", f"{CONNECTIONS}?state=live", False),
    ]
    errors = {label: (value, hot) for label, value, _, hot in shown["Sync errors, last 24 hours"]}
    assert errors == {
        "Connection Setup": ("0", False),
        "Subscription Refresh": ("0", False),
        "Create": ("1", True),
        "Update": ("0", False),
        "Delete": ("0", False),
        "Sync Down": ("2", True),
    }
    assert shown["Cancellation requests"] == [
        ("Pending", "1", "/admin/cancellations/cancellationrequest/?state__exact=pending", True)
    ]
    assert shown["StayNTouch callouts"] == [
        ("Failed", "1", "/admin/accounts_pms/stayntouchrequest/?state__exact=failed", True)
    ]
    assert [(label, value) for label, value, _, _ in shown["Task queue"]] == [
        ("Queued", "1"),
        ("Oldest queued", "3 min"),
    ]
    page = response.content.decode()
    assert 'id="sync-health"' in page
    assert "Last sync 5 min ago" in page


def test_each_link_lists_exactly_what_it_counts(admin_client):
    seed()
    shown = figures(admin_client.get("/admin/"))
    by_label = {label: (value, url) for rows in shown.values() for label, value, url, _ in rows}
    counted = [
        "Not valid",
        "Valid, inactive",
        "Active, waiting for its first sync",
        "Syncing",
        "Live (subscribed)",
        "Sync Down",
        "Create",
        "Delete",
        "Pending",
        "Failed",
    ]

    listed = {
        label: len(admin_client.get(by_label[label][1]).context["cl"].result_list)
        for label in counted
    }

    assert listed == {label: int(by_label[label][0]) for label in counted}


def test_the_panel_costs_the_same_queries_however_much_there_is(admin_client):
    admin_client.get("/admin/")  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as empty:
        admin_client.get("/admin/")
    seed()
    seed()

    with CaptureQueriesContext(connection) as full:
        admin_client.get("/admin/")

    assert len(full) == len(empty)


def test_support_sees_only_what_it_may_open(client):
    call_command("setup_roles")
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)

    response = client.get("/admin/")

    assert list(figures(response)) == [
        "Sync errors, last 24 hours",
        "Cancellation requests",
        "Conflicts with Outlook",
        "StayNTouch callouts",
    ]


def test_the_planner_is_linked_for_who_may_read_reservations(client):
    call_command("setup_roles")
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name="Integration admin"))
    client.force_login(user)
    member_page = client.get("/admin/").content.decode()
    user.groups.set([])
    user.is_staff = True
    user.save()

    bare_page = client.get("/admin/").content.decode()

    assert 'href="/admin/syncconnections/syncconnection/planner/"' in member_page
    assert "/planner/" not in bare_page


def test_resolved_errors_are_counted_but_need_no_one(admin_client):
    given = factories.SyncConnectionFactory()
    now = timezone.now()
    factories.SyncErrorFactory(operation="create", sync_connection=given)
    factories.SyncErrorFactory(
        operation="create", sync_connection=given, resolved=True, resolved_at=now
    )
    factories.SyncErrorFactory(
        operation="update", sync_connection=given, resolved=True, resolved_at=now
    )

    shown = figures(admin_client.get("/admin/"))["Sync errors, last 24 hours"]

    by_label = {label: (value, attention) for label, value, _, attention in shown}
    assert by_label["Create"] == ("2 (1 open)", True)
    assert by_label["Update"] == ("1 (0 open)", False)
