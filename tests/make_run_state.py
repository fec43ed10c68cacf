"""Print, as JSON, what a user of `make run`'s demo would see: run with `manage.py shell` in
the demo's folder (tests/test_make_run.py)."""

import json

from django.conf import settings

from errors.models import SyncError
from sandbox.client import SandboxControl
from syncconnections.models import EventKind, OutboxEntry, OutlookEvent, SyncConnection

sandbox = SandboxControl(settings.SANDBOX_ORIGIN, settings.GRAPH_CA_BUNDLE)
connections = SyncConnection.objects.select_related("tenant").order_by("user_id")


def calendar(connection):
    """The ids of the events the connection's calendar holds (Google keeps deleted ones)."""
    if connection.tenant.is_google:
        events = sandbox.google_events(connection.user_id)
        return sorted(e["id"] for e in events if e.get("status") != "cancelled")
    return sorted(e["id"] for e in sandbox.events(connection.user_id))


print(
    json.dumps(
        {
            "valid": {c.user_id: c.valid for c in connections},
            "errors": sorted(SyncError.objects.values_list("error_message", flat=True)),
            "outbox": OutboxEntry.objects.count(),
            # The events Bookbridge says it made, as the calendars should hold them.
            "pushed": sorted(
                OutlookEvent.objects.exclude(kind=EventKind.OCCURRENCE).values_list(
                    "sync_connection__user_id", "event_id"
                )
            ),
            "events": {c.user_id: calendar(c) for c in connections},
        }
    )
)
