"""Graph notifies subscribers of the app's own writes too, and nothing orders that notification
after the answer to the write (a $batch answers when its last inner request is done). So
Sync Down may adopt our new event (by its transactionId) before the push has stored its
link: both paths adopting the same link is success, with no error and no stuck claim."""

import pytest

from bookings.models import Reservation
from errors.models import SyncError
from syncconnections import outbound
from syncconnections.inbound.apply import PageApplier
from syncconnections.inbound.delta import sync_down
from syncconnections.models import OutboxEntry, OutlookEvent, SyncRequest
from syncconnections.outbound import queueing
from tests import factories
from tests.sync_helpers import at

pytestmark = pytest.mark.django_db(transaction=True)


def queued_reservation(room, monkeypatch):
    """A reservation in the outbox whose push has not run yet."""
    with monkeypatch.context() as patched:
        patched.setattr(queueing, "wake", lambda: None)
        return factories.ReservationFactory(
            resource=room.resource, title="Quarterly review", start=at(7, 10), end=at(7, 11)
        )


def test_a_push_whose_event_sync_down_adopted_first_succeeds(sandbox, live_room, monkeypatch):
    reservation = queued_reservation(live_room, monkeypatch)
    sandbox.settings(notify_before_answer=True)
    sandbox.clear_requests()

    summary = outbound.push_outbound()

    # The notification's delta read ran while the $batch waited for its answer.
    log = sandbox.requests()
    # (A $batch reads the room's calendar for the slot, the next creates; the delta read,
    # itself in a $batch, runs inside the create's.)
    [batch] = [
        r
        for r in log
        if r["path"] == "/v1.0/$batch"
        and any(i["method"] == "POST" for i in (r["body"] or {}).get("requests", []))
    ]
    delta = [r for r in log if r["path"].endswith("/calendarView/delta")]
    assert delta and all(batch["started_at"] < r["started_at"] for r in delta)
    assert all(r["started_at"] < batch["started_at"] + batch["duration_ms"] / 1000 for r in delta)
    # ... and both paths agree: one event, one link (as pushed), no error, nothing left over.
    [event] = sandbox.events(live_room.user_id)
    link = OutlookEvent.objects.get()
    assert (link.reservation, link.event_id, link.ical_uid) == (
        reservation,
        event["id"],
        event["iCalUId"],
    )
    assert link.pushed["subject"] == "Quarterly review"
    assert (summary["created"], summary["failed"], summary["retrying"]) == (1, 0, 0)
    assert Reservation.objects.count() == 1
    assert OutboxEntry.objects.count() == 0
    assert SyncRequest.objects.count() == 0
    assert list(SyncError.objects.all()) == []
    assert {d["status"] for d in sandbox.notifications()} == {202}


def test_a_sync_that_adopts_an_event_the_push_linked_meanwhile_succeeds(sandbox, room, monkeypatch):
    reservation = queued_reservation(room, monkeypatch)
    link_lost = OutboxEntry.objects.get(reservation=reservation)
    outbound.push_outbound()
    # As if the push had not stored the link when this page read the calendar's links ...
    stored = OutlookEvent.objects.get()
    OutlookEvent.objects.all().delete()
    original = PageApplier._store

    def the_push_stores_it_now(self):
        OutlookEvent.objects.create(
            sync_connection=stored.sync_connection,
            reservation=stored.reservation,
            mailbox=stored.mailbox,
            event_id=stored.event_id,
            ical_uid=stored.ical_uid,
            change_key=stored.change_key,
            pushed=stored.pushed,
        )
        original(self)

    monkeypatch.setattr(PageApplier, "_store", the_push_stores_it_now)

    result = sync_down(room.pk)

    assert result.ok
    assert OutlookEvent.objects.get().pushed == stored.pushed
    assert list(SyncError.objects.all()) == []
    assert not OutboxEntry.objects.filter(pk=link_lost.pk).exists()
