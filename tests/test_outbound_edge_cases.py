"""Outbound sync when things happen at awkward moments: changes during a push, crashes,
switched modes and mailboxes, partial failures."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from errors.models import SyncError
from syncconnections import connection_setup, outbound
from syncconnections.graph import GraphClient
from syncconnections.models import OutboxEntry, OutlookCreation, OutlookEvent, SyncMode
from syncconnections.outbound.pusher import Pusher
from syncconnections.outbound.worker import PushSummary, claim, push_outbound
from tests import factories
from tests.sync_helpers import (
    at,
    book,
    connected_staff,
    graph_writes,
    last_request_id,
)

pytestmark = pytest.mark.django_db


def subjects(sandbox, mailbox):
    return sorted(e["subject"] for e in sandbox.events(mailbox))


def test_a_change_during_a_push_is_pushed_afterwards(sandbox, room):
    reservation = book(room)
    Reservation.objects.filter(pk=reservation.pk).update(title="Planning v2")
    OutboxEntry.objects.add([reservation.pk])
    entries = claim()  # a worker takes the entry ...
    Reservation.objects.filter(pk=reservation.pk).update(title="Planning v3")
    OutboxEntry.objects.add([reservation.pk])  # ... and the reservation changes

    Pusher(entries, PushSummary()).run()  # the first worker pushes what it read: v2

    entry = OutboxEntry.objects.get()
    assert (entry.claim, entry.version) == (None, 1)  # left for another round, not lost
    outbound.push_outbound()
    assert subjects(sandbox, room.user_id) == ["Planning v3"]
    assert OutboxEntry.objects.count() == 0


def test_an_earlier_event_returned_for_a_repeated_create_is_corrected(sandbox, room):
    # A worker created the event and died before storing the link; then the title changed.
    reservation = book(room, title="Old title")
    # What the worker stores with the link (in one transaction) is not there.
    OutlookEvent.objects.all().delete()
    OutlookCreation.objects.update(linked=False)
    Reservation.objects.filter(pk=reservation.pk).update(title="New title")

    outbound.queue([reservation.pk])

    assert subjects(sandbox, room.user_id) == ["New title"]
    assert OutlookEvent.objects.get().pushed["subject"] == "New title"


def test_a_tenant_switched_to_inbound_gets_no_writes_and_is_caught_up_when_back(
    sandbox, tenant, room
):
    reservation = book(room)
    tenant.sync_mode = SyncMode.INBOUND
    tenant.save()
    since = last_request_id(sandbox)

    reservation.title = "Changed while inbound"
    reservation.save()

    assert graph_writes(sandbox, since) == []
    assert subjects(sandbox, room.user_id) == ["Quarterly review"]
    tenant.sync_mode = SyncMode.BIDIRECTIONAL
    tenant.save()
    assert subjects(sandbox, room.user_id) == ["Changed while inbound"]


def test_a_connection_pointed_at_another_mailbox_cleans_up_the_old_one(sandbox, room):
    book(
        room,
        start=timezone.now() + dt.timedelta(days=3),
        end=timezone.now() + dt.timedelta(days=3, hours=1),
    )
    old_mailbox, new_mailbox = room.user_id, "room.boardroom2@contoso.test"
    sandbox.mailbox(new_mailbox)

    room.user_id = new_mailbox
    room.save()
    connection_setup.validate(room.pk)  # activates again

    assert sandbox.events(old_mailbox) == []
    assert subjects(sandbox, new_mailbox) == ["Quarterly review"]
    assert list(OutlookEvent.objects.values_list("mailbox", flat=True)) == [new_mailbox]


def test_a_reservation_deleted_while_its_event_is_made_leaves_no_event(sandbox, room, monkeypatch):
    room.active = False
    room.save()
    reservation = book(room)
    room.active = True
    room.save()
    OutboxEntry.objects.add([reservation.pk])
    entries = claim()
    real_batch = GraphClient.batch

    def batch_then_delete(self, requests):
        results = real_batch(self, requests)
        Reservation.objects.filter(pk=reservation.pk).delete()  # meanwhile, in the admin
        return results

    monkeypatch.setattr(GraphClient, "batch", batch_then_delete)
    Pusher(entries, PushSummary()).run()
    monkeypatch.undo()

    assert OutlookEvent.objects.get().reservation is None  # kept as an orphan
    outbound.push_outbound()
    assert sandbox.events(room.user_id) == []
    assert OutlookEvent.objects.count() == 0


def test_an_error_in_one_calendar_is_not_resolved_by_success_in_another(sandbox, tenant, room):
    staff = connected_staff(sandbox, tenant)
    sandbox.fault(f"/users/{staff.user_id}/.*events$", method="POST", status=403, times=1)

    reservation = book(room, staff=staff.staff)

    [error] = SyncError.objects.all()
    assert (error.sync_connection, error.reservation, error.resolved) == (staff, reservation, False)
    assert len(sandbox.events(room.user_id)) == 1


def test_reactivating_cleans_up_what_changed_while_inactive(sandbox, room):
    moved = book(room, title="Moved away")
    cancelled = book(room, title="Cancelled", start=at(8, 10), end=at(8, 11))
    connection_setup.deactivate([room])

    moved.resource = factories.ResourceFactory()
    moved.save()
    cancelled.status = ReservationStatus.CANCELLED
    cancelled.save()
    room.refresh_from_db()
    connection_setup.activate([room])

    assert sandbox.events(room.user_id) == []


def test_updates_held_by_the_loop_guard_go_out_when_the_window_ends(sandbox, room):
    room.tenant.max_updates = 2
    room.tenant.save()
    reservation = book(room)
    for version in range(1, 5):
        reservation.title = f"Planning v{version}"
        reservation.save()
    assert subjects(sandbox, room.user_id) == ["Planning v2"]

    OutlookEvent.objects.update(update_window_start=timezone.now() - dt.timedelta(hours=25))
    OutboxEntry.objects.update(not_before=timezone.now())
    outbound.push_outbound()

    assert subjects(sandbox, room.user_id) == ["Planning v4"]
    assert SyncError.objects.filter(stage="loop guard").count() == 1


def test_a_push_that_fails_unexpectedly_hands_its_entries_back(sandbox, room, monkeypatch):
    """A deadlock or a lost connection in the middle of a push: its entries are not held by
    the (still running) worker until the stale-claim age, but tried again after a back-off."""
    reservation = book(room)
    OutboxEntry.objects.all().delete()
    OutboxEntry.objects.add([reservation.pk])

    def deadlock(self):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(Pusher, "run", deadlock)

    with pytest.raises(OperationalError):
        push_outbound(time_budget=5)

    entry = OutboxEntry.objects.get()
    assert (entry.claim, entry.claimed_at, entry.attempts) == (None, None, 1)
    assert 20 < (entry.not_before - timezone.now()).total_seconds() < 40
