"""End to end: an Outlook user's changes reach the back office through a real subscription,
real notifications to this site's webhook, and delta."""

import pytest

from bookings.models import Reservation, ReservationStatus
from cancellations.models import CancellationRequest
from syncconnections.models import CompanyLogEntry
from tests.helpers import wait_until
from tests.sync_helpers import connected_room, graph_time, in_days, meeting

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("ignore_requests", [True, False], ids=["applied", "asked"])
def test_create_move_cancel_in_outlook(sandbox, tenant, live_server, settings, ignore_requests):
    settings.PUBLIC_BASE_URL = live_server.url
    tenant.ignore_cancellation_requests = ignore_requests
    tenant.save()
    room = connected_room(sandbox, tenant, use_live_sync=True)
    assert len(sandbox.subscriptions()) == 1

    made = sandbox.outlook_create(room.user_id, **meeting("Client visit"))
    reservation = wait_until(lambda: Reservation.objects.filter(title="Client visit").first())
    assert (reservation.direction, reservation.resource) == ("inbound", room.resource)

    later, later_end = in_days(6, 15)
    sandbox.outlook_update(
        room.user_id, made["id"], start=graph_time(later), end=graph_time(later_end)
    )
    assert wait_until(lambda: Reservation.objects.get(pk=reservation.pk).start == later)

    sandbox.outlook_cancel(room.user_id, made["id"])
    if ignore_requests:
        assert wait_until(
            lambda: Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.CANCELLED
        )
    else:
        assert wait_until(
            lambda: CancellationRequest.objects.filter(
                reservation=reservation, state="pending"
            ).exists()
        )
    assert Reservation.objects.count() == 1
    start, end = in_days(3, 10)
    assert list(
        CompanyLogEntry.objects.order_by("pk").values_list(
            "operation", "reservation_id", "subject", "start", "end", "event_id"
        )
    ) == [
        ("created", reservation.pk, "Client visit", start, end, made["id"]),
        ("updated", reservation.pk, "Client visit", later, later_end, made["id"]),
        # Outlook renames a cancelled meeting; the log keeps what it sent.
        ("cancelled", reservation.pk, "Canceled: Client visit", later, later_end, made["id"]),
    ]
    deliveries = sandbox.notifications()
    assert {d["status"] for d in deliveries} == {202}
