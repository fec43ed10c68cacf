"""What the sandbox knows at start-up: the mailboxes and rooms of this database's resources,
staff and sync connections, so the demo tenant's connections validate against it."""

from __future__ import annotations

from typing import Any

from bookings.models import Resource, Staff
from syncconnections.models import SyncConnection, Tenant


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
    for resource in Resource.objects.select_related("location").exclude(mailbox_email=""):
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
        "apps": apps,
        "rooms": rooms,
        "room_lists": list(room_lists.values()),
        "mailboxes": mailboxes,
    }
