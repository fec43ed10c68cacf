"""What the sandbox knows at start-up: the mailboxes and rooms of this database's resources,
staff and sync connections, so the demo tenant's connections validate against it."""

from __future__ import annotations

from typing import Any

from bookings.models import Resource, Staff
from syncconnections.google_keys import parse_key
from syncconnections.models import CalendarProvider, SyncConnection, Tenant
from syncconnections.models.tenants import GOOGLE_RESOURCE_DOMAIN


def from_database() -> dict[str, Any]:
    apps = [
        {"tenant": t.directory_id, "client_id": t.client_id, "client_secret": t.client_secret}
        for t in Tenant.objects.filter(directory_id="sandbox")
    ]
    named_calendars: dict[str, list[str]] = {}
    for mailbox, calendar in SyncConnection.objects.exclude(calendar_name="").values_list(
        "user_id", "calendar_name"
    ):
        named_calendars.setdefault(mailbox, []).append(calendar)
    rooms, room_lists = [], {}
    google_rooms = Resource.objects.filter(
        mailbox_email__iendswith="@" + GOOGLE_RESOURCE_DOMAIN
    ).select_related("location")
    for resource in (
        Resource.objects.select_related("location")
        .exclude(mailbox_email="")
        .exclude(pk__in=google_rooms.values("pk"))
    ):
        slug = resource.location.name.lower().replace(" ", "")
        room_list = f"rooms.{slug}@{resource.mailbox_email.split('@')[1]}"
        room_lists[room_list] = {
            "address": room_list,
            "display_name": f"{resource.location.name} rooms",
        }
        rooms.append(
            {
                "address": resource.mailbox_email,
                "display_name": resource.name,
                "capacity": resource.capacity,
                "building": resource.location.name,
                "room_list": room_list,
            }
        )
    mailboxes = [
        {
            "address": s.email,
            "display_name": str(s),
            "kind": "user",
            "calendars": named_calendars.get(s.email, []),
        }
        for s in Staff.objects.all()
    ]
    return {
        "google": _google_workspaces(list(google_rooms)),
        "apps": apps,
        "rooms": rooms,
        "room_lists": list(room_lists.values()),
        "mailboxes": mailboxes,
    }


def _google_workspaces(rooms: list[Resource]) -> list[dict[str, Any]]:
    """Each Google Workspace tenant's service account (its key file), admin, people (the
    staff in its domains) and rooms (those of its connections)."""
    found = []
    for tenant in Tenant.objects.filter(calendar_provider=CalendarProvider.GOOGLE_WORKSPACE):
        try:
            key = parse_key(tenant.google_service_account_key)
        except ValueError:
            continue  # no key file the sandbox could know
        connected = set(
            SyncConnection.objects.filter(tenant=tenant).values_list("user_id", flat=True)
        )
        found.append(
            {
                "key": key,
                "admin": tenant.google_admin_email,
                "users": [
                    s.email
                    for s in Staff.objects.exclude(email="")
                    if tenant.accepts_mailbox(s.email)
                ],
                "rooms": [
                    {
                        "email": r.mailbox_email,
                        "name": r.name,
                        "capacity": r.capacity,
                        "buildingId": r.location.name,
                    }
                    for r in rooms
                    if r.mailbox_email.lower() in connected
                ],
            }
        )
    return found
