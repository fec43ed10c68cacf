"""The booking core announces changes through its signals, inside the change's transaction."""

from datetime import timedelta

import pytest
from django.db import connection

from bookings import signals
from bookings.models import Reservation, ReservationStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every signal sent, as (signal name, kwargs, in a transaction?)."""
    events = []
    receivers = {}
    for name in (
        "reservation_created",
        "reservation_changed",
        "reservation_status_changed",
        "reservation_deleted",
    ):

        def receiver(sender, signal, _name=name, **kwargs):
            events.append((_name, kwargs, connection.in_atomic_block))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver, sender=Reservation)
    yield events
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver, sender=Reservation)


def test_creating_announces_created_and_initial_status(heard):
    reservation = factories.ReservationFactory(status=ReservationStatus.OPTION)

    assert heard == [
        ("reservation_created", {"reservation": reservation}, True),
        (
            "reservation_status_changed",
            {"reservation": reservation, "old_status": None, "new_status": "option"},
            True,
        ),
    ]


def test_changing_announces_exactly_the_changed_fields(heard):
    reservation = Reservation.objects.get(pk=factories.ReservationFactory().pk)
    old_start, old_end = reservation.start, reservation.end
    heard.clear()

    reservation.start += timedelta(hours=1)
    reservation.end += timedelta(hours=1)
    reservation.save()

    assert heard == [
        (
            "reservation_changed",
            {
                "reservation": reservation,
                "changes": {
                    "start": (old_start, reservation.start),
                    "end": (old_end, reservation.end),
                },
            },
            True,
        ),
    ]


def test_saving_without_changes_announces_nothing(heard):
    reservation = factories.ReservationFactory()
    heard.clear()

    reservation.save()
    Reservation.objects.get(pk=reservation.pk).save()

    assert heard == []


def test_status_change_announces_changed_and_status_changed(heard):
    reservation = factories.ReservationFactory(status=ReservationStatus.CONFIRMED)
    heard.clear()

    reservation.status = ReservationStatus.CANCELLED
    reservation.save(update_fields=["status", "updated_at"])

    assert heard == [
        (
            "reservation_changed",
            {"reservation": reservation, "changes": {"status": ("confirmed", "cancelled")}},
            True,
        ),
        (
            "reservation_status_changed",
            {"reservation": reservation, "old_status": "confirmed", "new_status": "cancelled"},
            True,
        ),
    ]


def test_update_fields_limits_the_announced_changes(heard):
    reservation = factories.ReservationFactory(title="Before")
    heard.clear()

    reservation.title = "After"
    reservation.status = ReservationStatus.COMPLETED
    reservation.save(update_fields=["title"])

    assert heard == [
        (
            "reservation_changed",
            {"reservation": reservation, "changes": {"title": ("Before", "After")}},
            True,
        ),
    ]


def test_foreign_keys_are_announced_by_id(heard):
    reservation = factories.ReservationFactory()
    old_room, new_room = reservation.resource, factories.ResourceFactory()
    heard.clear()

    reservation.resource = new_room
    reservation.save()

    assert heard[0][1]["changes"] == {"resource_id": (old_room.pk, new_room.pk)}


def test_deleting_announces_before_the_row_goes(heard):
    reservation = factories.ReservationFactory()
    seen_in_database = []

    def check(sender, reservation, **kwargs):
        seen_in_database.append(
            (reservation.pk, Reservation.objects.filter(pk=reservation.pk).exists())
        )

    signals.reservation_deleted.connect(check, sender=Reservation)
    heard.clear()

    try:
        Reservation.objects.filter(pk=reservation.pk).delete()  # a queryset delete too
    finally:
        signals.reservation_deleted.disconnect(check, sender=Reservation)

    assert [(name, in_tx) for name, _, in_tx in heard] == [("reservation_deleted", True)]
    assert seen_in_database == [(reservation.pk, True)]


def test_refresh_from_db_resets_what_counts_as_changed(heard):
    reservation = factories.ReservationFactory(title="Old")
    Reservation.objects.filter(pk=reservation.pk).update(title="Changed elsewhere")
    reservation.refresh_from_db()
    heard.clear()

    reservation.save()

    assert heard == []


def test_a_change_to_a_field_that_was_not_loaded_is_announced(heard):
    reservation = factories.ReservationFactory(status=ReservationStatus.CONFIRMED)
    partial = Reservation.objects.defer("status").get(pk=reservation.pk)
    heard.clear()

    partial.status = ReservationStatus.CANCELLED
    partial.save()

    assert [name for name, _, _ in heard] == ["reservation_changed", "reservation_status_changed"]
    assert heard[1][1]["old_status"] == "confirmed"


def test_concurrent_saves_keep_each_others_changes_and_announce_once(heard):
    reservation = factories.ReservationFactory(title="Board", status=ReservationStatus.CONFIRMED)
    first = Reservation.objects.get(pk=reservation.pk)
    second = Reservation.objects.get(pk=reservation.pk)
    heard.clear()

    first.title = "Board (moved)"
    first.status = ReservationStatus.COMPLETED
    first.save()
    second.status = ReservationStatus.COMPLETED  # made the same change without seeing it
    second.save()

    stored = Reservation.objects.get(pk=reservation.pk)
    assert (stored.title, stored.status) == ("Board (moved)", "completed")
    status_changes = [kw for name, kw, _ in heard if name == "reservation_status_changed"]
    assert len(status_changes) == 1
