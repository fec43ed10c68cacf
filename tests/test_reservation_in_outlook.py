"""A reservation's page says how it stands in Outlook, per connection, with links."""

import pytest
from django.urls import reverse
from django.utils import timezone

from syncconnections.models import OutboxEntry, OutlookEvent
from tests import factories
from tests.sync_helpers import book

pytestmark = pytest.mark.django_db


def test_the_event_the_waiting_change_and_the_open_errors(sandbox, room, admin_client):
    reservation = book(room)
    event = OutlookEvent.objects.get(reservation=reservation)
    error = factories.SyncErrorFactory(
        reservation=reservation,
        sync_connection=room,
        operation="update",
        error_message="ErrorAccessDenied: Access is denied.",
    )
    factories.SyncErrorFactory(
        reservation=reservation,
        sync_connection=room,
        error_message="An old, resolved one",
        resolved=True,
        resolved_at=timezone.now(),
    )
    OutboxEntry.objects.add([reservation.pk])
    entry = OutboxEntry.objects.get(reservation=reservation)

    page = admin_client.get(
        reverse("admin:bookings_reservation_change", args=[reservation.pk])
    ).content.decode()

    event_url = reverse("admin:syncconnections_outlookevent_change", args=[event.pk])
    assert f'<a href="{event_url}">{event.event_id[-24:]}</a>' in page
    assert f"<td>{event.change_key}</td>" in page
    entry_url = reverse("admin:syncconnections_outboxentry_change", args=[entry.pk])
    assert f'<a href="{entry_url}">Outbox</a>: a change waits to be sent since' in page
    error_url = reverse("admin:errors_syncerror_change", args=[error.pk])
    assert (
        f'<li><a href="{error_url}">Update</a> — ErrorAccessDenied: Access is denied.</li>' in page
    )
    assert "An old, resolved one" not in page


def test_a_room_calendar_without_the_event_says_so(sandbox, room, admin_client):
    reservation = book(room)
    OutlookEvent.objects.filter(reservation=reservation).delete()
    OutboxEntry.objects.filter(reservation=reservation).delete()

    page = admin_client.get(
        reverse("admin:bookings_reservation_change", args=[reservation.pk])
    ).content.decode()

    assert "not in this calendar" in page
    assert "Nothing waiting to be sent." in page
    assert "No open sync errors." in page
