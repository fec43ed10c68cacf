"""Each database constraint is proven by a write that violates it."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts_pms.models import PostingAccount, StayNTouchSettings
from bookings.models import Reservation, Resource, Service, ServiceReservation
from cancellations.models import CancellationRequest, Decision
from errors.models import SyncError
from syncconnections.models import SyncConnection, Tenant
from tests import factories

pytestmark = pytest.mark.django_db


@contextmanager
def violates(constraint: str, *sqlite_unique_columns: str):
    """The block fails with an IntegrityError of exactly this constraint.

    PostgreSQL names the constraint; SQLite names check constraints and expression indexes,
    but lists the columns of a plain unique constraint instead.
    """
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    columns = ", ".join(sqlite_unique_columns)
    assert constraint in message or (columns and columns in message), message


def test_reservation_must_end_after_start():
    reservation = factories.ReservationFactory()

    with violates("reservation_ends_after_start"):
        Reservation.objects.filter(pk=reservation.pk).update(end=reservation.start)
    with violates("reservation_ends_after_start"):
        factories.ReservationFactory(
            end=reservation.start - timedelta(minutes=1), start=reservation.start
        )


def test_reservation_uuid_is_unique():
    reservation = factories.ReservationFactory()

    with violates("uuid", "bookings_reservation.uuid"):
        factories.ReservationFactory(uuid=reservation.uuid)


def test_resource_name_unique_per_location():
    room = factories.ResourceFactory(name="Boardroom")
    factories.ResourceFactory(name="Boardroom")  # another location: fine

    with violates(
        "resource_unique_name", "bookings_resource.location_id", "bookings_resource.name"
    ):
        factories.ResourceFactory(name="Boardroom", location=room.location)


def test_resource_mailbox_unique_ignoring_case_but_blank_allowed_twice():
    factories.ResourceFactory(mailbox_email="room.a@contoso.test")
    factories.ResourceFactory(mailbox_email="")
    factories.ResourceFactory(mailbox_email="")

    with violates("resource_unique_mailbox"):
        Resource.objects.bulk_create(
            [
                Resource(
                    location=factories.LocationFactory(),
                    name="X",
                    mailbox_email="ROOM.A@contoso.test",
                )
            ]
        )


def test_resource_and_service_prices_not_negative():
    room = factories.ResourceFactory()
    service = factories.ServiceFactory()

    with violates("resource_price_not_negative"):
        Resource.objects.filter(pk=room.pk).update(price=Decimal("-1"))
    with violates("service_price_not_negative"):
        Service.objects.filter(pk=service.pk).update(price=Decimal("-0.01"))


def test_staff_email_unique_ignoring_case():
    factories.StaffFactory(email="anna@contoso.test")

    with violates("staff_unique_email"):
        factories.StaffFactory(email="Anna@Contoso.test")


def test_account_number_unique_but_blank_allowed_twice():
    factories.AccountFactory(account_number="FJ4575801")
    factories.AccountFactory(account_number="")
    factories.AccountFactory(account_number="")

    with violates("account_unique_number", "bookings_account.account_number"):
        factories.AccountFactory(account_number="FJ4575801")


def test_service_reservation_quantity_and_price():
    booked = factories.ServiceReservationFactory()

    with violates("service_reservation_quantity_positive"):
        ServiceReservation.objects.filter(pk=booked.pk).update(quantity=0)
    with violates("service_reservation_price_not_negative"):
        ServiceReservation.objects.filter(pk=booked.pk).update(unit_price=Decimal("-5"))


def test_tenant_app_registration_unique_and_limits_positive():
    tenant = factories.TenantFactory(directory_id="dir", client_id="app")

    with violates(
        "tenant_unique_app_registration",
        "syncconnections_tenant.directory_id",
        "syncconnections_tenant.client_id",
    ):
        factories.TenantFactory(directory_id="dir", client_id="app")
    with violates("tenant_limits_positive"):
        Tenant.objects.filter(pk=tenant.pk).update(max_updates=0)
    with violates("tenant_limits_positive"):
        Tenant.objects.filter(pk=tenant.pk).update(max_occurrences=0)


def test_connection_needs_exactly_one_of_resource_and_staff():
    connection = factories.SyncConnectionFactory()

    with violates("syncconnection_one_target"):
        SyncConnection.objects.filter(pk=connection.pk).update(staff=factories.StaffFactory())
    with violates("syncconnection_one_target"):
        SyncConnection.objects.filter(pk=connection.pk).update(resource=None)


def test_connection_active_only_when_valid():
    connection = factories.SyncConnectionFactory(valid=True, active=True)

    with violates("syncconnection_active_requires_valid"):
        SyncConnection.objects.filter(pk=connection.pk).update(valid=False)
    with violates("syncconnection_active_requires_valid"):
        factories.SyncConnectionFactory(valid=False, active=True)


def test_one_connection_per_tenant_mailbox_and_calendar():
    connection = factories.SyncConnectionFactory(calendar_name="")
    # The same mailbox with another calendar, or in another tenant, is fine.
    factories.SyncConnectionFactory(
        tenant=connection.tenant, user_id=connection.user_id, calendar_name="Bookings"
    )
    factories.SyncConnectionFactory(user_id=connection.user_id)

    with violates("syncconnection_unique_calendar"):
        SyncConnection.objects.bulk_create(  # bypassing save()'s lower-casing
            [
                SyncConnection(
                    tenant=connection.tenant,
                    resource=connection.resource,
                    user_id=connection.user_id.upper(),
                    calendar_name="",
                )
            ]
        )


def test_subscription_id_unique_when_set():
    factories.SyncConnectionFactory(subscription_id="")
    factories.SyncConnectionFactory(subscription_id="")
    factories.SyncConnectionFactory(subscription_id="sub-1")

    with violates(
        "syncconnection_unique_subscription", "syncconnections_syncconnection.subscription_id"
    ):
        factories.SyncConnectionFactory(subscription_id="sub-1")


def test_resolved_sync_error_has_a_resolution_time():
    error = factories.SyncErrorFactory()

    with violates("syncerror_resolved_has_time"):
        SyncError.objects.filter(pk=error.pk).update(resolved=True)
    with violates("syncerror_resolved_has_time"):
        SyncError.objects.filter(pk=error.pk).update(resolved_at=timezone.now())


def test_one_pending_cancellation_request_per_outlook_event():
    first = factories.CancellationRequestFactory(outlook_event_id="AAMk1=")
    CancellationRequest.objects.filter(pk=first.pk).update(
        state=Decision.REJECTED, decided_at=timezone.now()
    )
    factories.CancellationRequestFactory(outlook_event_id="AAMk1=")  # decided one doesn't count

    with violates(
        "cancellationrequest_one_pending_per_event",
        "cancellations_cancellationrequest.outlook_event_id",
    ):
        factories.CancellationRequestFactory(outlook_event_id="AAMk1=")


def test_cancellation_decision_state_and_time_go_together():
    request = factories.CancellationRequestFactory()

    with violates("cancellationrequest_decision_has_time"):
        CancellationRequest.objects.filter(pk=request.pk).update(state=Decision.APPROVED)
    with violates("cancellationrequest_decision_has_time"):
        CancellationRequest.objects.filter(pk=request.pk).update(decided_at=timezone.now())


def test_stayntouch_settings_is_a_singleton_with_distinct_statuses():
    settings_row = factories.StayNTouchSettingsFactory()

    with violates("stayntouchsettings_pkey", "accounts_pms_stayntouchsettings.id"):
        StayNTouchSettings(client_id="other", client_secret="x", hotel_id=2).save()

    with violates("stayntouchsettings_singleton"):
        StayNTouchSettings.objects.bulk_create(
            [StayNTouchSettings(id=2, client_id="x", client_secret="x", hotel_id=1)]
        )
    with violates("stayntouchsettings_distinct_statuses"):
        StayNTouchSettings.objects.filter(pk=settings_row.pk).update(end_status="option")


def test_one_posting_account_per_reservation_and_unique_rover_ids():
    posting = factories.PostingAccountFactory(rover_id="7001")

    with violates("reservation_id", "accounts_pms_postingaccount.reservation_id"):
        PostingAccount.objects.create(reservation=posting.reservation, rover_account_id="9")
    with violates("postingaccount_unique_rover_id", "accounts_pms_postingaccount.rover_id"):
        factories.PostingAccountFactory(rover_id="7001")
    factories.PostingAccountFactory(rover_id="")
    factories.PostingAccountFactory(rover_id="")


def test_rover_company_linked_to_one_account():
    factories.RoverAccountLinkFactory(rover_id="9001")

    with violates("rover_id", "accounts_pms_roveraccountlink.rover_id"):
        factories.RoverAccountLinkFactory(rover_id="9001")
