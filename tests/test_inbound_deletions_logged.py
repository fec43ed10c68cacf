"""A deleted Outlook event arrives as its id alone: its company log entry and cancellation
request show the meeting as it was last seen."""

import pytest

from bookings.models import ReservationStatus
from cancellations.models import CancellationRequest
from syncconnections.graph import GraphClient
from syncconnections.inbound.apply import PageApplier
from syncconnections.inbound.delta import sync_down
from syncconnections.inbound.events import InboundEvent
from syncconnections.models import CompanyLogEntry, OutlookEvent
from tests.helpers import log_operations
from tests.sync_helpers import ORGANIZER, book, in_days, meeting

pytestmark = pytest.mark.django_db


def removal(event_id):
    """A deletion as delta lists it."""
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }


def deleted_entry():
    return CompanyLogEntry.objects.get(operation="deleted")


def test_an_outlook_meeting_deleted_is_logged_and_asked_about_as_it_was(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting("Hiring panel"))
    sync_down(room.pk)
    sandbox.outlook_update(room.user_id, made["id"], subject="Hiring panel (final)")
    sync_down(room.pk)
    updated = CompanyLogEntry.objects.get(operation="updated")

    sandbox.outlook_delete(room.user_id, made["id"])
    sync_down(room.pk)

    entry = deleted_entry()
    request = CancellationRequest.objects.get()
    start, end = in_days(3, 10)
    assert (
        entry.reservation,
        entry.subject,
        entry.organizer_email,
        entry.attendee_emails,
        entry.start,
        entry.end,
        entry.event_id,
    ) == (
        request.reservation,
        "Hiring panel (final)",
        ORGANIZER,
        "guest@contoso.test",
        start,
        end,
        made["id"],
    )
    # The last version read, with Graph's removal on top.
    assert entry.outlook_data == {
        **updated.outlook_data,
        **removal(made["id"]),
    }
    assert request.outlook_data == entry.outlook_data


def test_our_own_meeting_deleted_in_outlook_is_logged_from_its_reservation(sandbox, tenant, room):
    tenant.ignore_cancellation_requests = True
    tenant.save()
    start, end = in_days(5, 9)
    reservation = book(room, title="Board meeting", start=start, end=end)
    link = OutlookEvent.objects.get()
    sync_down(room.pk)  # our own create, echoed back: not logged

    sandbox.outlook_delete(room.user_id, link.event_id)
    sync_down(room.pk)

    entry = deleted_entry()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert (entry.reservation, entry.subject, entry.start, entry.end, entry.outlook_data) == (
        reservation,
        "Board meeting",
        start,
        end,
        removal(link.event_id),
    )


def test_a_deletion_read_again_is_not_logged_twice(sandbox, tenant, room):
    tenant.ignore_cancellation_requests = True
    tenant.save()
    made = sandbox.outlook_create(room.user_id, **meeting("Hiring panel"))
    sync_down(room.pk)
    sandbox.outlook_delete(room.user_id, made["id"])
    sync_down(room.pk)  # the reservation cancelled, its link gone, logged with changeKey

    again = InboundEvent(removal(made["id"]))
    PageApplier(room, GraphClient.for_tenant(tenant), [again]).apply()

    assert log_operations() == ["created", "deleted"]
    assert deleted_entry().outlook_data["changeKey"] == made["changeKey"]
