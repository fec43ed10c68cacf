"""api/event-delta.md: a delta round lists under @removed both the events of the window that
were deleted and the events *outside* the window that were added, updated or deleted; "filter
the events under @removed for the date range that your scenario requires". So a removal is a
deletion only for an event Bookbridge knew, once Graph confirms it is gone."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Reservation
from syncconnections.graph import GraphClient
from syncconnections.inbound.delta import sync_down
from syncconnections.models import CompanyLogEntry
from tests.sync_helpers import connected_staff, graph_calls, graph_time, last_request_id, meeting

pytestmark = pytest.mark.django_db


def far_ahead(days=500):
    start = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return {"start": graph_time(start), "end": graph_time(start + dt.timedelta(hours=1))}


def log():
    return list(
        CompanyLogEntry.objects.order_by("pk").values_list("operation", "subject", "event_id")
    )


def ahead(subject):
    return {**meeting(subject), **far_ahead()}


def test_the_sandbox_lists_a_change_outside_the_window_under_removed(sandbox, room):
    sync_down(room.pk)  # the window is listed; a delta link is kept
    room.refresh_from_db()

    made = sandbox.outlook_create(room.user_id, **ahead("Next year's kick-off"))

    client = GraphClient.for_tenant(room.tenant)
    [page] = list(client.delta_pages(room.user_id, link=room.delta_token))
    assert page.events == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": made["id"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_a_meeting_made_outside_the_window_is_no_deletion(sandbox, room):
    sync_down(room.pk)
    since = last_request_id(sandbox)

    sandbox.outlook_create(room.user_id, **ahead("Next year's kick-off"))
    sync_down(room.pk)

    assert log() == []
    assert Reservation.objects.count() == 0
    # Nothing known about it: nothing to ask Graph either.
    assert [m for m, p in graph_calls(sandbox, since) if "/events/" in p] == []


def test_a_meeting_changed_and_deleted_outside_the_window_leaves_no_trace(sandbox, room):
    sync_down(room.pk)
    made = sandbox.outlook_create(room.user_id, **ahead("Kick-off"))
    sandbox.outlook_update(room.user_id, made["id"], subject="Kick-off (moved)")
    sync_down(room.pk)
    sandbox.outlook_delete(room.user_id, made["id"])
    sync_down(room.pk)

    assert log() == []


def test_an_unbooked_meeting_moved_out_of_the_window_is_logged_as_changed(sandbox, tenant):
    anna = connected_staff(sandbox, tenant)
    made = sandbox.outlook_create(anna.user_id, **meeting("1:1, no room"))
    sync_down(anna.pk)
    assert log() == [("created", "1:1, no room", made["id"])]

    moved = sandbox.outlook_update(anna.user_id, made["id"], **far_ahead())
    sync_down(anna.pk)

    # Graph, asked, still has it: a new version of the meeting, no deletion.
    entries = log()
    assert [op for op, _, _ in entries] == ["created", "created"]
    assert CompanyLogEntry.objects.last().outlook_data["changeKey"] == moved["changeKey"]


def test_an_unbooked_meeting_deleted_in_the_window_is_logged_as_deleted(sandbox, tenant):
    anna = connected_staff(sandbox, tenant)
    made = sandbox.outlook_create(anna.user_id, **meeting("1:1, no room"))
    sync_down(anna.pk)

    sandbox.outlook_delete(anna.user_id, made["id"])
    sync_down(anna.pk)
    sync_down(anna.pk)

    # Logged once, as it was last seen.
    assert log() == [
        ("created", "1:1, no room", made["id"]),
        ("deleted", "1:1, no room", made["id"]),
    ]
