"""Demo data a newcomer can explore, aimed at the local sandbox (`manage.py run_sandbox`).

Every row has a natural key (or a UUID derived from one) and is only created when missing:
loading again adds nothing and changes nothing, whatever the day. Reservations are laid out
around the day of the first load.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts_pms.models import StayNTouchSettings
from bookings.models import (
    Account,
    Direction,
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
from syncconnections import connection_setup
from syncconnections.models import (
    CalendarProvider,
    CompanyLogEntry,
    LogOperation,
    SyncConnection,
    Tenant,
    UserType,
)
from syncconnections.models.tenants import GOOGLE_RESOURCE_DOMAIN

DEMO_DOMAIN = "contoso.example"
_NAMESPACE = uuid.UUID("5b0c7f0e-8d3c-4e7a-9d55-6f1c2b7a0d10")

LOCATIONS = {
    "Amsterdam HQ": ("Gustav Mahlerlaan 350b", "Amsterdam"),
    "Rotterdam Office": ("Wilhelminakade 91", "Rotterdam"),
    "Utrecht Office": ("Catharijnesingel 30", "Utrecht"),
}

# The Utrecht office books its rooms in Google Workspace: a second tenant, on Google.
GOOGLE_TENANT = "Contoso Utrecht (Google Workspace sandbox)"
GOOGLE_SERVICE_ACCOUNT = "bookbridge@contoso-utrecht.iam.gserviceaccount.com"
GOOGLE_ROOMS = [
    ("Utrecht Office", "Domtoren", 10, "180.00", "100301"),
    ("Utrecht Office", "Oudegracht", 6, "120.00", "100302"),
]

# (location, room, capacity, price, charge code)
ROOMS = [
    ("Amsterdam HQ", "Boardroom", 16, "400.00", "100101"),
    ("Amsterdam HQ", "Rembrandt", 10, "180.00", "100102"),
    ("Amsterdam HQ", "Vermeer", 8, "150.00", "100103"),
    ("Amsterdam HQ", "Van Gogh", 6, "120.00", "100104"),
    ("Amsterdam HQ", "Mondriaan", 4, "90.00", "100105"),
    ("Amsterdam HQ", "Escher", 4, "90.00", "100106"),
    ("Amsterdam HQ", "Studio 1", 2, "45.00", "100107"),
    ("Rotterdam Office", "Maas", 12, "250.00", "100201"),
    ("Rotterdam Office", "Erasmus", 8, "150.00", "100202"),
    ("Rotterdam Office", "Kop van Zuid", 6, "120.00", "100203"),
    ("Rotterdam Office", "Euromast", 4, "90.00", "100204"),
    ("Rotterdam Office", "Studio 2", 2, "45.00", "100205"),
]

STAFF = [
    ("Anna", "de Vries", "Facility manager"),
    ("Bram", "Jansen", "Office manager"),
    ("Chloé", "Bakker", "Event coordinator"),
    ("Daan", "Visser", "Receptionist"),
    ("Eva", "Smit", "Account manager"),
    ("Farid", "El Amrani", "Account manager"),
]

# The first one is the example account of the StayNTouch sync documentation.
ACCOUNTS = [
    {
        "name": "Gen25",
        "account_number": "FJ4575801",
        "street1": "Gustav Mahlerlaan 350b",
        "postal_code": "1082ME",
        "city": "Amsterdam",
        "country": "Nederland",
        "contact_first_name": "John",
        "contact_last_name": "Doe",
        "contact_email": "john@doe.com",
        "contact_phone": "0201234567",
    },
    {
        "name": "Northwind Traders",
        "account_number": "NW-1001",
        "street1": "Coolsingel 40",
        "postal_code": "3011AD",
        "city": "Rotterdam",
        "country": "Nederland",
        "contact_first_name": "Nancy",
        "contact_last_name": "Davolio",
        "contact_email": "nancy@northwind.example",
        "contact_phone": "0101234567",
        "contact_job_title": "Office manager",
    },
    {
        "name": "Fabrikam BV",
        "account_number": "FB-2002",
        "street1": "Stationsplein 1",
        "postal_code": "3511ED",
        "city": "Utrecht",
        "country": "Nederland",
        "contact_first_name": "Pieter",
        "contact_last_name": "Mulder",
        "contact_email": "pieter@fabrikam.example",
    },
    {"name": "Tailspin Toys", "city": "Eindhoven", "country": "Nederland"},
]

SERVICES = [
    ("Lunch", "16.00", "410"),
    ("Coffee and tea", "2.50", "411"),
    ("Projector", "25.00", "420"),
    ("Flip chart", "10.00", "421"),
    ("Parking", "12.50", "430"),
]

MEETING_TITLES = [
    "Quarterly review",
    "Sales kick-off",
    "Project sync",
    "Customer workshop",
    "Interview",
    "Board meeting",
    "Training: new booking flow",
    "Budget planning",
    "Design review",
    "Supplier meeting",
]


def mailbox(name: str) -> str:
    slug = name.lower().replace(" ", "")
    return f"room.{slug}@{DEMO_DOMAIN}"


def google_room_address(name: str) -> str:
    """A Workspace room's calendar address is Google's, whatever the company's domain."""
    return f"c_{name.lower().replace(' ', '')}@{GOOGLE_RESOURCE_DOMAIN}"


def staff_email(first: str, last: str) -> str:
    local = f"{first}.{last}".lower().replace(" ", "").replace("é", "e")
    return f"{local}@{DEMO_DOMAIN}"


def demo_uuid(key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, key)


@dataclass
class DemoSummary:
    locations: int = 0
    resources: int = 0
    reservations: int = 0
    connections: int = 0


def load(today: date | None = None) -> DemoSummary:
    """Create or refresh the demo data; returns how many of the main rows exist."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locations = _locations()
        resources = _resources(locations)
        staff = _staff()
        accounts = _accounts()
        services = _services()
        reservations = _reservations(today, resources, staff, accounts, services)
        _series(today, resources["Rembrandt"], staff[0])
        tenant = _tenant()
        connections = _connections(tenant, resources, staff)
        google_rooms = _resources(locations, GOOGLE_ROOMS, google_room_address)
        _google_connections(_google_tenant(), google_rooms)
        _google_reservations(today, google_rooms, staff)
        _inbound(today, resources, connections, reservations)
        _sync_errors(connections, reservations)
        _stayntouch()
    return DemoSummary(
        locations=len(locations),
        resources=len(resources) + len(google_rooms),
        reservations=Reservation.objects.count(),
        connections=SyncConnection.objects.count(),
    )


def _locations() -> dict[str, Location]:
    return {
        name: Location.objects.get_or_create(
            name=name,
            defaults={"address": address, "city": city, "time_zone": settings.TIME_ZONE},
        )[0]
        for name, (address, city) in LOCATIONS.items()
    }


def _resources(
    locations: dict[str, Location],
    rooms: list[tuple[str, str, int, str, str]] = ROOMS,
    address: Callable[[str], str] = mailbox,
) -> dict[str, Resource]:
    return {
        name: Resource.objects.get_or_create(
            location=locations[location],
            name=name,
            defaults={
                "mailbox_email": address(name),
                "capacity": capacity,
                "price": Decimal(price),
                "charge_code": code,
            },
        )[0]
        for location, name, capacity, price, code in rooms
    }


def _staff() -> list[Staff]:
    return [
        Staff.objects.get_or_create(
            email=staff_email(first, last),
            defaults={"first_name": first, "last_name": last, "job_title": title},
        )[0]
        for first, last, title in STAFF
    ]


def _accounts() -> list[Account]:
    return [_account(fields) for fields in ACCOUNTS]


def _account(fields: dict[str, str]) -> Account:
    """By its account number (unique) where it has one; else the first of its name, as
    people may add accounts of the same name."""
    if fields.get("account_number"):
        return Account.objects.get_or_create(
            account_number=fields["account_number"], defaults=fields
        )[0]
    found = Account.objects.filter(name=fields["name"]).order_by("pk").first()
    return found or Account.objects.create(**fields)


def _services() -> list[Service]:
    return [
        Service.objects.get_or_create(
            name=name, defaults={"price": Decimal(price), "charge_code": code}
        )[0]
        for name, price, code in SERVICES
    ]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _status_for(day: date, today: date, rng: random.Random) -> str:
    if day < today:
        return rng.choice(
            [ReservationStatus.COMPLETED] * 4
            + [ReservationStatus.CLOSED, ReservationStatus.CANCELLED]
        )
    return rng.choice(
        [ReservationStatus.CONFIRMED] * 3 + [ReservationStatus.OPTION, ReservationStatus.CONCEPT]
    )


def working_days(today: date, before: int = 5, after: int = 5) -> list[date]:
    """`before` working days before today and `after` from today on: always the same count."""
    days: list[date] = []
    day = today
    while len([d for d in days if d < today]) < before:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.insert(0, day)
    day = today
    while len([d for d in days if d >= today]) < after:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _reservations(
    today: date,
    resources: dict[str, Resource],
    staff: list[Staff],
    accounts: list[Account],
    services: list[Service],
) -> list[Reservation]:
    """Two weeks of outbound reservations: five working days back and five ahead."""
    rng = random.Random(2026)  # the same choices on every run
    rooms = list(resources.values())
    made = []
    for index, day in enumerate(working_days(today)):
        for slot in range(4):
            room = rooms[(index * 4 + slot) % len(rooms)]
            hour = 9 + slot * 2
            reservation, _ = Reservation.objects.get_or_create(
                uuid=demo_uuid(f"reservation:{index}:{slot}"),
                defaults={
                    "title": rng.choice(MEETING_TITLES),
                    "resource": room,
                    "staff": rng.choice(staff),
                    "account": rng.choice([*accounts, None]),
                    "start": _at(day, hour),
                    "end": _at(day, hour + 1, 30),
                    "status": _status_for(day, today, rng),
                    "direction": Direction.OUTBOUND,
                },
            )
            if slot % 2 == 0:
                service = rng.choice(services)
                quantity = rng.randint(1, 12)
                # A person may have booked the service again: any one of them will do.
                if not reservation.service_reservations.filter(service=service).exists():
                    ServiceReservation.objects.create(
                        reservation=reservation,
                        service=service,
                        quantity=quantity,
                        unit_price=service.price,
                    )
            made.append(reservation)
    return made


def _series(today: date, room: Resource, organiser: Staff) -> ReservationSeries:
    """A daily stand-up on the next ten working days."""
    days = working_days(today, before=0, after=10)
    series, _ = ReservationSeries.objects.get_or_create(
        uuid=demo_uuid("series:stand-up"),
        defaults={
            "title": "Team stand-up",
            "resource": room,
            "staff": organiser,
            "status": ReservationStatus.CONFIRMED,
            "recurrence": {
                "pattern": {
                    "type": "weekly",
                    "interval": 1,
                    "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                },
                "range": {
                    "type": "numbered",
                    "startDate": days[0].isoformat(),
                    "numberOfOccurrences": len(days),
                },
            },
        },
    )
    for index, day in enumerate(days):
        Reservation.objects.get_or_create(
            uuid=demo_uuid(f"series:stand-up:{index}"),
            defaults={
                "series": series,
                "title": "Team stand-up",
                "resource": room,
                "staff": organiser,
                "start": _at(day, 8, 30),
                "end": _at(day, 8, 45),
                "status": ReservationStatus.CONFIRMED,
            },
        )
    if not series.occurrences_complete:
        series.occurrences_complete = True
        series.save()
    return series


def _tenant() -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(
        name="Contoso (sandbox)",
        defaults={
            "directory_id": "sandbox",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "email_domains": DEMO_DOMAIN,
            "failure_notification_emails": f"it-ops@{DEMO_DOMAIN}",
        },
    )
    return tenant


def _connections(
    tenant: Tenant, resources: dict[str, Resource], staff: list[Staff]
) -> dict[str, SyncConnection]:
    """One connection per room, activated once valid, plus one staff calendar. New ones are
    queued for validation, which the task cluster runs (against the sandbox in `make run`)."""
    connections = {name: _room_connection(tenant, r) for name, r in resources.items()}
    connections["staff"], created = SyncConnection.objects.get_or_create(
        tenant=tenant,
        user_id=staff[0].email,
        calendar_name="Room bookings",
        defaults={"user_type": UserType.USER, "staff": staff[0]},
    )
    if created:
        _validate_later(connections["staff"])
    return connections


def _room_connection(tenant: Tenant, resource: Resource) -> SyncConnection:
    """The room's connection, live, activated once valid; a new one queued for validation."""
    connection, created = SyncConnection.objects.get_or_create(
        tenant=tenant,
        user_id=resource.mailbox_email,
        calendar_name="",
        defaults={
            "user_type": UserType.RESOURCE,
            "resource": resource,
            "activate_after_validation": True,
            "use_live_sync": True,
        },
    )
    if created:
        _validate_later(connection)
    return connection


def _validate_later(connection: SyncConnection) -> None:
    # Always queued, never run on the spot: loading demo data needs no calendar service.
    async_task(
        connection_setup.validate_job,
        connection.pk,
        sync=False,
        task_name=f"validate {connection.user_id}",
    )


def _google_tenant() -> Tenant:
    """The Google Workspace tenant, with a service account key of its own, made once (the
    sandbox learns the account from it: sandbox/seed.py)."""
    tenant = Tenant.objects.filter(name=GOOGLE_TENANT).first()
    if tenant is None:
        tenant = Tenant.objects.create(
            name=GOOGLE_TENANT,
            calendar_provider=CalendarProvider.GOOGLE_WORKSPACE,
            google_service_account_key=json.dumps(_service_account_key()),
            google_admin_email=f"admin@{DEMO_DOMAIN}",
            email_domains=DEMO_DOMAIN,
            failure_notification_emails=f"it-ops@{DEMO_DOMAIN}",
        )
    return tenant


def _service_account_key() -> dict[str, str]:
    """A key file as the Cloud console gives one, with a new RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "contoso-utrecht",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": GOOGLE_SERVICE_ACCOUNT,
        "client_id": str(100000000000000000000 + random.SystemRandom().randrange(10**20)),
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def _google_connections(tenant: Tenant, rooms: dict[str, Resource]) -> None:
    """The Utrecht rooms' Google calendars, live, activated once valid."""
    for resource in rooms.values():
        _room_connection(tenant, resource)


def _google_reservations(today: date, rooms: dict[str, Resource], staff: list[Staff]) -> None:
    """A few bookings of the Utrecht rooms in the coming days, sent to Google."""
    days = working_days(today, before=0, after=3)[1:]
    for index, day in enumerate(days):
        for slot, room in enumerate(rooms.values()):
            Reservation.objects.get_or_create(
                uuid=demo_uuid(f"google-reservation:{index}:{slot}"),
                defaults={
                    "title": MEETING_TITLES[(index + slot) % len(MEETING_TITLES)],
                    "resource": room,
                    "staff": staff[(index + slot) % len(staff)],
                    "start": _at(day, 10 + slot * 3),
                    "end": _at(day, 11 + slot * 3),
                    "status": ReservationStatus.CONFIRMED,
                    "direction": Direction.OUTBOUND,
                },
            )


def _graph_event(reservation: Reservation, event_id: str, **extra: object) -> dict:
    return {
        "id": event_id,
        "subject": reservation.title,
        "start": {
            "dateTime": reservation.start.astimezone(ZoneInfo("UTC")).isoformat(),
            "timeZone": "UTC",
        },
        "end": {
            "dateTime": reservation.end.astimezone(ZoneInfo("UTC")).isoformat(),
            "timeZone": "UTC",
        },
        "organizer": {"emailAddress": {"address": reservation.organizer_email}},
        "attendees": [
            {"emailAddress": {"address": reservation.resource.mailbox_email}, "type": "resource"}
        ],
        "isCancelled": False,
        **extra,
    }


def _inbound(
    today: date,
    resources: dict[str, Resource],
    connections: dict[str, SyncConnection],
    reservations: list[Reservation],
) -> None:
    """Meetings booked in Outlook, their company log, and one cancellation waiting for a person."""
    bookings = [
        ("Van Gogh", "Lunch & learn", 1, 12, "sophie.devries@" + DEMO_DOMAIN),
        ("Maas", "Client visit", 2, 14, "tom.peeters@" + DEMO_DOMAIN),
        ("Vermeer", "Hiring panel", 3, 10, "lisa.dekker@" + DEMO_DOMAIN),
    ]
    for index, (room, title, days_ahead, hour, organizer) in enumerate(bookings):
        event_id = f"AAMkADemoEvent{index:04d}="
        reservation, _ = Reservation.objects.get_or_create(
            uuid=demo_uuid(f"inbound:{index}"),
            defaults={
                "title": title,
                "resource": resources[room],
                "start": _at(today + timedelta(days=days_ahead), hour),
                "end": _at(today + timedelta(days=days_ahead), hour + 1),
                "status": ReservationStatus.CONFIRMED,
                "direction": Direction.INBOUND,
                "organizer_email": organizer,
            },
        )
        data = _graph_event(reservation, event_id)
        _log(connections[room], reservation, LogOperation.CREATED, data)
        if index == 2:
            cancelled = {**data, "isCancelled": True}
            _log(connections[room], reservation, LogOperation.CANCELLED, cancelled)
            # Once someone decided it, loading again must not ask again.
            if not CancellationRequest.objects.filter(outlook_event_id=event_id).exists():
                CancellationRequest.objects.create(
                    outlook_event_id=event_id,
                    reservation=reservation,
                    sync_connection=connections[room],
                    outlook_data=cancelled,
                    reservation_snapshot=snapshot(reservation),
                )


def _log(connection: SyncConnection, reservation: Reservation, operation: str, data: dict) -> None:
    CompanyLogEntry.objects.get_or_create(
        event_id=data["id"],
        operation=operation,
        defaults={
            "sync_connection": connection,
            "reservation": reservation,
            "mailbox": connection.user_id,
            "organizer_email": reservation.organizer_email,
            "attendee_emails": reservation.resource.mailbox_email,
            "subject": reservation.title,
            "start": reservation.start,
            "end": reservation.end,
            "outlook_data": data,
        },
    )


def _sync_errors(connections: dict[str, SyncConnection], reservations: list[Reservation]) -> None:
    examples = [
        (
            Operation.CONNECTION_SETUP,
            "find calendar",
            404,
            connections["staff"],
            None,
            "ErrorItemNotFound: no calendar named “Room bookings” in this mailbox.",
        ),
        (
            Operation.CREATE,
            "create event",
            429,
            connections["Boardroom"],
            reservations[-1],
            "ApplicationThrottled: too many requests; retried after Retry-After.",
        ),
        (
            Operation.SYNC_DOWN,
            "delta page",
            410,
            connections["Maas"],
            None,
            "syncStateNotFound: the delta token expired; a full resync was started.",
        ),
    ]
    for operation, stage, status, connection, reservation, message in examples:
        # Found by their request-id, theirs alone: real syncs record errors of the same
        # operation and stage for the same calendars.
        SyncError.objects.get_or_create(
            request_id=str(demo_uuid(stage)),
            defaults={
                "operation": operation,
                "stage": stage,
                "sync_connection": connection,
                "status_code": status,
                "reservation": reservation,
                "error_message": message,
            },
        )


def _stayntouch() -> None:
    if StayNTouchSettings.current():
        return  # never replace settings someone made
    origin = settings.SANDBOX_ORIGIN
    StayNTouchSettings(
        api_base_url=f"{origin}/connect/",
        auth_url=f"{origin}/oauth/token",
        client_id="sandbox-rover",
        client_secret="sandbox-secret",
        hotel_id=1,
        enabled=True,  # sends to the sandbox's Rover only
    ).save()
