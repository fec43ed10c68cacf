"""Opening a cancellation request: once per Outlook event while a person decides, whoever
asks and however often (cancellations.opening, heard from Sync Down's signal)."""

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest, Decision
from cancellations.opening import open_request
from syncconnections.inbound.delta import sync_down
from syncconnections.models import CompanyLogEntry, SyncConnection
from tests import factories
from tests.sync_helpers import meeting

pytestmark = pytest.mark.django_db


def test_a_second_open_for_a_pending_event_opens_nothing():
    # Given a reservation whose Outlook event was cancelled
    reservation = factories.ReservationFactory()
    connection = factories.SyncConnectionFactory()
    data = {"id": "AAMk1=", "isCancelled": True}

    # When two Sync Downs ask at once
    first = open_request(reservation, connection, "AAMk1=", data)
    second = open_request(reservation, connection, "AAMk1=", data)

    # Then one request waits for a decision
    assert (first, second) == (True, False)
    assert list(CancellationRequest.objects.values_list("outlook_event_id", "state")) == [
        ("AAMk1=", Decision.PENDING)
    ]


def test_once_decided_the_event_may_be_asked_about_again():
    decided = factories.CancellationRequestFactory(
        state=Decision.REJECTED, decided_at=timezone.now(), outlook_event_id="AAMk2="
    )

    assert open_request(decided.reservation, decided.sync_connection, "AAMk2=", {}) is True
    assert sorted(CancellationRequest.objects.values_list("state", flat=True)) == sorted(
        [Decision.REJECTED, Decision.PENDING]
    )


def test_an_event_read_again_while_a_person_decides_is_logged_once(sandbox, room):
    # Given a meeting cancelled in Outlook, and a person asked about it
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    sandbox.outlook_cancel(room.user_id, made["id"])
    sync_down(room.pk)

    # When the calendar is read again from the start (a resync)
    SyncConnection.objects.filter(pk=room.pk).update(
        delta_token="", delta_window_start=None, delta_window_end=None
    )
    sync_down(room.pk)

    # Then still one request and one "cancelled" line in the company log
    assert CancellationRequest.objects.count() == 1
    assert list(
        CompanyLogEntry.objects.filter(event_id=made["id"])
        .order_by("pk")
        .values_list("operation", flat=True)
    ) == ["created", "cancelled"]
