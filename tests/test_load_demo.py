"""load_demo fills an explorable back office and is safe to run again."""

from datetime import date

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts_pms.models import StayNTouchSettings
from backoffice import demo
from bookings.models import Direction, Reservation, Resource
from cancellations.models import CancellationRequest
from syncconnections.models import SyncConnection, Tenant
from tests import factories

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("bookings", "syncconnections", "errors", "cancellations", "accounts_pms")


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    }


def test_load_demo_twice_leaves_the_same_rows():
    call_command("load_demo", force=True)
    first = row_counts()

    call_command("load_demo", force=True)

    assert row_counts() == first


def test_loading_on_another_day_adds_and_changes_nothing():
    from bookings import signals

    demo.load(today=date(2026, 3, 2))  # a Monday
    first = row_counts()
    statuses = dict(Reservation.objects.values_list("uuid", "status"))
    heard = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    signals.reservation_changed.connect(listen, sender=Reservation)
    try:
        demo.load(today=date(2026, 3, 4))  # the Wednesday after
    finally:
        signals.reservation_changed.disconnect(listen, sender=Reservation)

    assert row_counts() == first
    assert dict(Reservation.objects.values_list("uuid", "status")) == statuses
    assert heard == []


def test_refused_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="with DEBUG off it runs only with --force"):
        call_command("load_demo")
    assert Reservation.objects.count() == 0


def test_never_replaces_existing_stayntouch_settings():
    existing = factories.StayNTouchSettingsFactory(client_id="production-client")

    call_command("load_demo", force=True)

    existing.refresh_from_db()
    assert existing.client_id == "production-client"


def test_demo_content():
    call_command("load_demo", force=True)

    counts = row_counts()
    assert counts["bookings.Location"] == 3
    assert counts["bookings.Resource"] == 14
    assert counts["bookings.Staff"] == 6
    assert counts["bookings.Account"] == 4
    assert counts["bookings.Service"] == 5
    assert counts["bookings.ReservationSeries"] == 1
    assert counts["errors.SyncError"] == 3
    assert counts["cancellations.CancellationRequest"] == 1
    assert counts["accounts_pms.StayNTouchSettings"] == 1
    assert StayNTouchSettings.current().enabled  # against the sandbox's Rover
    assert Resource.objects.filter(mailbox_email="").count() == 0
    assert Reservation.objects.filter(series__isnull=False).count() == 10
    assert Reservation.objects.filter(direction=Direction.INBOUND).count() == 3
    tenant = Tenant.objects.get(calendar_provider="microsoft_exchange")
    assert (tenant.directory_id, tenant.client_id, tenant.client_secret) == (
        "sandbox",
        "sandbox-client",
        "sandbox-secret",
    )
    assert SyncConnection.objects.filter(tenant=tenant).count() == 13
    google = Tenant.objects.get(calendar_provider="google_workspace")
    assert google.google_admin_email == "admin@contoso.example"
    assert sorted(
        SyncConnection.objects.filter(tenant=google).values_list("user_id", flat=True)
    ) == [
        "c_domtoren@resource.calendar.google.com",
        "c_oudegracht@resource.calendar.google.com",
    ]
    assert Reservation.objects.filter(resource__location__name="Utrecht Office").count() == 4
    pending = CancellationRequest.objects.get()
    assert (pending.state, pending.external_state) == ("pending", "100")
    assert pending.reservation.log_entries.count() == 2


def test_loading_again_after_the_sync_recorded_errors_and_people_added_rows():
    """The demo's own rows are found by what is theirs alone, whatever else exists: sync
    errors of the same kind for the same calendars, an account of the same name."""
    from bookings.models import Account, ServiceReservation
    from errors.models import Operation
    from errors.recording import record

    call_command("load_demo", force=True)
    boardroom = SyncConnection.objects.get(user_id__startswith="room.boardroom")
    maas = SyncConnection.objects.get(user_id__startswith="room.maas")
    # What real syncs record for the demo's calendars, twice over.
    for operation, stage, connection in [
        (Operation.CREATE, "create event", boardroom),
        (Operation.SYNC_DOWN, "delta page", maas),
    ] * 2:
        record(
            operation=operation, stage=stage, connection=connection, status_code=503, message="x"
        )
    Account.objects.create(name="Gen25", account_number="")  # a person's, same name
    Account.objects.create(name="Tailspin Toys")
    booked = ServiceReservation.objects.first()  # a service booked once more
    ServiceReservation.objects.create(
        reservation=booked.reservation, service=booked.service, quantity=1
    )
    before = row_counts()

    call_command("load_demo", force=True)

    assert row_counts() == before
