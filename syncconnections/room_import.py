"""Import rooms from Microsoft 365: list the tenant's rooms, match them to resources, and
create one connection per chosen room."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from bookings.models import Resource
from syncconnections import validation
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
    """The tenant's rooms, by room list (rooms in no list last). Raises GraphError."""
    client = GraphClient.for_tenant(tenant)
    seen: dict[str, tuple[dict, str]] = {}
    for room_list in client.room_lists():
        for room in client.rooms(room_list["emailAddress"]):
            seen.setdefault(room["emailAddress"].lower(), (room, room_list["displayName"]))
    for room in client.rooms():
        seen.setdefault(room["emailAddress"].lower(), (room, ""))
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


@dataclass
class ImportResult:
    created: list[SyncConnection]
    existing: list[str]
    activate: bool


def import_rooms(tenant: Tenant, choices: dict[str, Resource], *, activate: bool) -> ImportResult:
    """One connection (user type resource) per mailbox → resource, activated once valid when
    `activate` (the importer may activate connections). Mailboxes already connected are left
    alone, so importing twice creates nothing new."""
    created, existing = [], []
    with transaction.atomic():
        for address, resource in choices.items():
            connection, was_created = SyncConnection.objects.get_or_create(
                tenant=tenant,
                user_id=address.lower(),
                calendar_name="",
                defaults={
                    "resource": resource,
                    "user_type": UserType.RESOURCE,
                    "activate_after_validation": activate,
                },
            )
            if was_created:
                created.append(connection)
                validation.request_validation(connection)
            else:
                existing.append(address)
    return ImportResult(created, existing, activate)
