"""Import rooms from Microsoft 365 or Google Workspace: list the tenant's rooms, match them
to resources, and create one connection per chosen room."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from bookings.models import Location, Resource
from syncconnections import connection_setup
from syncconnections.google import GoogleClient
from syncconnections.graph import GraphClient
from syncconnections.models import SyncConnection, Tenant, UserType


@dataclass
class RoomRow:
    address: str
    name: str
    room_list: str
    capacity: int | None
    resource: Resource | None  # matched by mailbox e-mail
    connected: bool  # a connection for this mailbox exists already


def rooms_of(tenant: Tenant) -> list[RoomRow]:
    """The tenant's rooms, by room list or building (rooms in none last). Raises GraphError
    or GoogleError."""
    seen = _google_rooms(tenant) if tenant.is_google else _microsoft_rooms(tenant)
    resources = {
        r.mailbox_email: r
        for r in Resource.objects.filter(mailbox_email__in=seen).select_related("location")
    }
    connected = set(
        SyncConnection.objects.filter(
            tenant=tenant, user_id__in=seen, calendar_name=""
        ).values_list("user_id", flat=True)
    )
    return [
        RoomRow(
            address,
            room.get("displayName") or address,
            room_list,
            room.get("capacity"),
            resources.get(address),
            address in connected,
        )
        for address, (room, room_list) in sorted(
            seen.items(), key=lambda item: (not item[1][1], item[1][1], item[0])
        )
    ]


def _microsoft_rooms(tenant: Tenant) -> dict[str, tuple[dict, str]]:
    client = GraphClient.for_tenant(tenant)
    seen: dict[str, tuple[dict, str]] = {}
    for room_list in client.room_lists():
        for room in client.rooms(room_list["emailAddress"]):
            seen.setdefault(room["emailAddress"].lower(), (room, room_list["displayName"]))
    for room in client.rooms():
        seen.setdefault(room["emailAddress"].lower(), (room, ""))
    return seen


def _google_rooms(tenant: Tenant) -> dict[str, tuple[dict, str]]:
    """The Workspace's calendar resources, in Graph's room words (displayName, capacity), by
    building."""
    seen: dict[str, tuple[dict, str]] = {}
    for resource in GoogleClient.for_tenant(tenant).calendar_resources():
        room = {"displayName": resource.get("resourceName"), "capacity": resource.get("capacity")}
        seen[resource["resourceEmail"].lower()] = (room, resource.get("buildingId") or "")
    return seen


@dataclass
class NewRoom:
    """A room to be made a resource as it is connected."""

    name: str
    location: Location
    capacity: int | None = None


@dataclass
class ImportResult:
    created: list[SyncConnection]
    existing: list[str]
    activate: bool
    problems: list[str] = field(default_factory=list)
    new_resources: list[Resource] = field(default_factory=list)


def problems(tenant: Tenant, choices: dict[str, Resource | NewRoom]) -> list[str]:
    """What the connection form would refuse: a mailbox outside the tenant's domains, a
    resource connected already (to another mailbox, or twice in this import), a new room
    whose name or mailbox a resource has already."""
    found = []
    claimed: dict[int, str] = {}
    for address, target in choices.items():
        if not tenant.accepts_mailbox(address):
            found.append(
                f"{address} is not in the e-mail domains of {tenant} ({tenant.email_domains})."
            )
        if isinstance(target, NewRoom):
            if Resource.objects.filter(mailbox_email__iexact=address).exists():
                found.append(f"A resource with the mailbox {address} exists already: choose it.")
            elif Resource.objects.filter(location=target.location, name=target.name).exists():
                found.append(f"{target.location} has a resource named {target.name} already.")
            continue
        other = (
            SyncConnection.objects.filter(tenant=tenant, resource=target)
            .exclude(user_id=address.lower())
            .first()
        )
        if other is not None:
            found.append(f"{target} is connected already, to {other}.")
        if target.pk in claimed:
            found.append(f"{target} is chosen for both {claimed[target.pk]} and {address}.")
        claimed.setdefault(target.pk, address)
    return found


def import_rooms(
    tenant: Tenant, choices: dict[str, Resource | NewRoom], *, activate: bool
) -> ImportResult:
    """One connection (user type resource) per mailbox → resource (made first for a new
    room), activated once valid when `activate` (the importer may activate connections).
    Nothing is created when any choice has a problem. Mailboxes already connected are left
    alone, so importing twice creates nothing new."""
    found = problems(tenant, choices)
    if found:
        return ImportResult([], [], activate, found)
    created, existing, new_resources = [], [], []
    with transaction.atomic():
        for address, target in choices.items():
            if isinstance(target, NewRoom):
                target = Resource.objects.create(
                    name=target.name,
                    location=target.location,
                    mailbox_email=address.lower(),
                    capacity=target.capacity,
                )
                new_resources.append(target)
            connection, was_created = SyncConnection.objects.get_or_create(
                tenant=tenant,
                user_id=address.lower(),
                calendar_name="",
                defaults={
                    "resource": target,
                    "user_type": UserType.RESOURCE,
                    "activate_after_validation": activate,
                },
            )
            if was_created:
                created.append(connection)
                connection_setup.request_validation(connection)
            else:
                existing.append(address)
    return ImportResult(created, existing, activate, new_resources=new_resources)
