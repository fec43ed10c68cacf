"""Keep after an Outlook cancellation ends with one live event in the calendar.

Graph never makes a second event for a transactionId it has seen in a mailbox (resources/
event.md: it is there "to avoid redundant POST operations"), and the sandbox answers a repeat
with the first event, cancelled or deleted since. So putting a reservation back in Outlook
needs a new transactionId, and the cancelled event is cleared away."""

import uuid

import pytest

from bookings.models import ReservationStatus
from cancellations.decisions import keep
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections.inbound.delta import sync_down
from syncconnections.models import OutlookEvent
from tests import factories
from tests.sync_helpers import cancelled_in_outlook, graph_writes, last_request_id

pytestmark = pytest.mark.django_db


def live_events(sandbox, mailbox):
    return [e for e in sandbox.events(mailbox) if not e["isCancelled"]]


@pytest.mark.parametrize("how", ["cancel", "delete"])
def test_keep_leaves_one_live_event_and_asks_nobody_again(sandbox, room, how):
    request, old_event_id = cancelled_in_outlook(sandbox, room, how)
    reservation = request.reservation

    outcome = keep(request, factories.UserFactory())
    sync_down(room.pk)
    sync_down(room.pk)

    assert outcome.done
    [event] = sandbox.events(room.user_id)  # the cancelled one is gone too
    assert event["id"] != old_event_id
    assert (event["subject"], event["isCancelled"]) == (reservation.title, False)
    assert event["transactionId"] == str(uuid.uuid5(reservation.uuid, "outlook-event/1"))
    assert OutlookEvent.objects.get(reservation=reservation).event_id == event["id"]
    assert list(CancellationRequest.objects.values_list("state", flat=True)) == ["rejected"]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert list(SyncError.objects.all()) == []
    from syncconnections.models import OutlookCreation

    creation = OutlookCreation.objects.get(reservation=reservation)
    assert (creation.generation, creation.linked) == (1, True)
    assert event["transactionId"] == str(creation.transaction_id)


def test_a_second_cancellation_after_keep_is_asked_about_once_more(sandbox, room):
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    keep(request, factories.UserFactory())
    [event] = live_events(sandbox, room.user_id)

    sandbox.outlook_cancel(room.user_id, event["id"])
    sync_down(room.pk)

    second = CancellationRequest.objects.get(state="pending")
    assert second.outlook_event_id == event["id"]
    keep(second, factories.UserFactory())
    [again] = live_events(sandbox, room.user_id)
    assert again["id"] not in (event["id"], request.outlook_event_id)
    from syncconnections.models import OutlookCreation

    assert OutlookCreation.objects.get().generation == 2


def test_a_retried_create_repeats_its_transaction_id(sandbox, room):
    """A create whose answer was lost is sent again as the same create: one event."""
    from tests.sync_helpers import book

    # The second batch: the first reads the room's calendar for the slot.
    sandbox.fault(r"\$batch", kind="drop_after_write", skip=1, times=1)
    since = last_request_id(sandbox)

    reservation = book(room)

    [event] = sandbox.events(room.user_id)
    assert event["transactionId"] == str(reservation.uuid)
    from syncconnections.models import OutlookCreation

    creation = OutlookCreation.objects.get(reservation=reservation)
    assert (creation.generation, creation.linked) == (0, True)
    assert [m for m, _ in graph_writes(sandbox, since)] == ["POST", "POST"]
