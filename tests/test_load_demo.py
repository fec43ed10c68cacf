"""load_demo fills an explorable back office and is safe to run again."""

import pytest
from django.apps import apps
from django.core.management import call_command

from bookings.models import Direction, Reservation, Resource
from cancellations.models import CancellationRequest
from syncconnections.models import SyncConnection, Tenant

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("bookings", "syncconnections", "errors", "cancellations", "accounts_pms")


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    }


def test_load_demo_twice_leaves_the_same_rows():
    call_command("load_demo")
    first = row_counts()

    call_command("load_demo")

    assert row_counts() == first


def test_demo_content():
    call_command("load_demo")

    counts = row_counts()
    assert counts["bookings.Location"] == 2
    assert counts["bookings.Resource"] == 12
    assert counts["bookings.Staff"] == 6
    assert counts["bookings.Account"] == 4
    assert counts["bookings.Service"] == 5
    assert counts["bookings.ReservationSeries"] == 1
    assert counts["errors.SyncError"] == 3
    assert counts["cancellations.CancellationRequest"] == 1
    assert counts["accounts_pms.StayNTouchSettings"] == 1
    assert Resource.objects.filter(mailbox_email="").count() == 0
    assert Reservation.objects.filter(series__isnull=False).count() == 10
    assert Reservation.objects.filter(direction=Direction.INBOUND).count() == 3
    tenant = Tenant.objects.get()
    assert (tenant.directory_id, tenant.client_id, tenant.client_secret) == (
        "sandbox",
        "sandbox-client",
        "sandbox-secret",
    )
    assert SyncConnection.objects.filter(tenant=tenant).count() == 13
    pending = CancellationRequest.objects.get()
    assert (pending.state, pending.external_state) == ("pending", "100")
    assert pending.reservation.log_entries.count() == 2
