"""factory-boy factories, one per model."""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from oauth2_provider.models import Application

from accounts_pms.models import (
    PmsOperation,
    PostingAccount,
    RoverAccountLink,
    StayNTouchRequest,
    StayNTouchSettings,
)
from api.models import ApiAuditEntry, ApiClient
from bookings.models import (
    Account,
    Location,
    Reservation,
    ReservationSeries,
    ReservationStatus,
    Resource,
    Service,
    ServiceReservation,
    Staff,
)
from cancellations.models import CancellationRequest, snapshot
from errors.models import Operation, SyncError
from syncconnections.models import (
    CompanyLogEntry,
    IgnoredNotification,
    LogOperation,
    OutboxEntry,
    OutlookConflict,
    OutlookEvent,
    SubscriptionRequest,
    SyncConnection,
    SyncRequest,
    Tenant,
)

DOMAIN = "contoso.test"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@{DOMAIN}")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n}")
    city = "Amsterdam"
    time_zone = "Europe/Amsterdam"


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    mailbox_email = factory.Sequence(lambda n: f"room{n}@{DOMAIN}")
    price = Decimal("400.00")
    charge_code = "100101"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.Sequence(lambda n: f"staff{n}@{DOMAIN}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    account_number = factory.Sequence(lambda n: f"ACC{n:05d}")
    street1 = "Gustav Mahlerlaan 350b"
    postal_code = "1082ME"
    city = "Amsterdam"
    country = "Nederland"
    contact_first_name = "John"
    contact_last_name = "Doe"
    contact_email = "john@doe.com"
    contact_phone = "0201234567"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    price = Decimal("16.00")
    charge_code = "410"


class ReservationSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReservationSeries

    title = "Weekly sync"
    resource = factory.SubFactory(ResourceFactory)
    recurrence = factory.LazyFunction(
        lambda: {"pattern": {"type": "daily", "interval": 1}, "range": {"type": "noEnd"}}
    )


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    resource = factory.SubFactory(ResourceFactory)
    title = factory.Sequence(lambda n: f"Meeting {n}")
    start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=1))
    end = factory.LazyAttribute(lambda r: r.start + timedelta(hours=1))
    status = ReservationStatus.CONFIRMED


class ServiceReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceReservation

    reservation = factory.SubFactory(ReservationFactory)
    service = factory.SubFactory(ServiceFactory)
    quantity = 2


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    directory_id = factory.Sequence(lambda n: f"tenant-{n}")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = "s3cret-value"
    email_domains = DOMAIN


class SyncConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncConnection

    tenant = factory.SubFactory(TenantFactory)
    resource = factory.SubFactory(ResourceFactory)
    user_id = factory.LazyAttribute(
        lambda c: c.resource.mailbox_email if c.resource else f"someone@{DOMAIN}"
    )


class CompanyLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyLogEntry

    sync_connection = factory.SubFactory(SyncConnectionFactory)
    operation = LogOperation.CREATED
    mailbox = factory.LazyAttribute(lambda e: e.sync_connection.user_id)
    organizer_email = f"organizer@{DOMAIN}"
    attendee_emails = f"guest@{DOMAIN}"
    subject = "Planning"
    event_id = factory.Sequence(lambda n: f"AAMkEvent{n}=")
    outlook_data = factory.LazyAttribute(lambda e: {"id": e.event_id, "subject": e.subject})


class SyncErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncError

    sync_connection = factory.SubFactory(SyncConnectionFactory)
    operation = Operation.CREATE
    stage = "create event"
    status_code = 500
    error_message = "Internal server error"
    request_id = factory.Faker("uuid4")


class CancellationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CancellationRequest

    reservation = factory.SubFactory(ReservationFactory)
    sync_connection = factory.SubFactory(SyncConnectionFactory)
    outlook_event_id = factory.Sequence(lambda n: f"AAMkCancelled{n}=")
    outlook_data = factory.LazyAttribute(
        lambda r: {
            "id": r.outlook_event_id,
            "isCancelled": True,
            "organizer": {"emailAddress": {"address": f"organizer@{DOMAIN}"}},
        }
    )
    reservation_snapshot = factory.LazyAttribute(lambda r: snapshot(r.reservation))


class OutlookConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutlookConflict

    reservation = factory.SubFactory(ReservationFactory)
    sync_connection = factory.SubFactory(SyncConnectionFactory)
    origin = "push"
    event_id = factory.Sequence(lambda n: f"AAMkInTheWay{n}=")
    subject = "Budget review"
    organizer_email = f"lisa@{DOMAIN}"
    start = factory.LazyAttribute(lambda c: c.reservation.start)
    end = factory.LazyAttribute(lambda c: c.reservation.end)


class StayNTouchSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StayNTouchSettings
        django_get_or_create = ("id",)

    id = StayNTouchSettings.SINGLETON_ID
    api_base_url = "https://rover.test/connect/"
    auth_url = "https://rover.test/oauth/token"
    client_id = "rover-client"
    client_secret = "rover-s3cret"
    hotel_id = 1
    enabled = True


class RoverAccountLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoverAccountLink

    account = factory.SubFactory(AccountFactory)
    rover_id = factory.Sequence(lambda n: str(9000 + n))


class PostingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostingAccount

    reservation = factory.SubFactory(ReservationFactory)
    rover_id = factory.Sequence(lambda n: str(7000 + n))
    rover_account_id = "9000"


class StayNTouchRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StayNTouchRequest

    operation = PmsOperation.CREATE_ACCOUNT
    account = factory.SubFactory(AccountFactory)
    request_body = factory.LazyFunction(lambda: {"type": "COMPANY", "name": "Gen25"})
    status_code = 201
    response_body = '{"id": 9001}'
    state = "succeeded"
    attempts = 1
    duration_ms = 42


class OutlookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutlookEvent

    sync_connection = factory.SubFactory(SyncConnectionFactory)
    reservation = factory.SubFactory(ReservationFactory)
    event_id = factory.Sequence(lambda n: f"AAMkPushed{n}=")
    ical_uid = factory.Sequence(lambda n: f"040000008200E00074C5B7101A82E008{n:032d}")
    change_key = "ck-1"
    pushed = factory.LazyAttribute(lambda e: {"subject": e.reservation.title})


class OutboxEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxEntry

    reservation = factory.SubFactory(ReservationFactory)


class SyncRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRequest

    sync_connection = factory.SubFactory(SyncConnectionFactory)


class SubscriptionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionRequest

    sync_connection = factory.SubFactory(SyncConnectionFactory)


class IgnoredNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IgnoredNotification

    reason = factory.Sequence(lambda n: f"reason {n}")
    count = 3


# The one secret of factory-made API clients, hashed once: hashing is slow on purpose.
FACTORY_CLIENT_SECRET = "factory-client-secret"


@functools.cache
def factory_client_secret_hash() -> str:
    return make_password(FACTORY_CLIENT_SECRET)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"System {n}")
    client_type = Application.CLIENT_CONFIDENTIAL
    authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    client_secret = factory.LazyFunction(factory_client_secret_hash)


class ApiClientFactory(factory.django.DjangoModelFactory):
    """An API client with no role; tests/helpers.bearer_token makes one the real way."""

    class Meta:
        model = ApiClient

    name = factory.Sequence(lambda n: f"System {n}")
    application = factory.SubFactory(ApplicationFactory, name=factory.SelfAttribute("..name"))
    user = factory.SubFactory(
        UserFactory, username=factory.Sequence(lambda n: f"api-client.{n}"), password=None
    )


class ApiAuditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiAuditEntry

    at = factory.LazyFunction(timezone.now)
    kind = ApiAuditEntry.Kind.WRITE
    client = factory.SubFactory(ApiClientFactory)
    client_name = factory.LazyAttribute(lambda e: e.client.name)
    address = "203.0.113.7"
    method = "POST"
    path = "/api/reservations/"
    status = 201
    detail = factory.Sequence(lambda n: f"id {n}")
