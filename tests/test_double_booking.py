"""A room holds one reservation at a time: refused in the database (PostgreSQL: an exclusion
constraint; SQLite: the save's check under the write lock), with a message naming the
reservation in the way, in the admin and the API alike."""

import datetime as dt
import itertools
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from bookings.models import (
    OCCUPYING_STATUSES,
    Reservation,
    ReservationStatus,
    create_reservations,
    overlapping_pairs,
)
from bookings.overlaps import RoomDoubleBooked
from tests import factories
from tests.helpers import member_of
from tests.sync_helpers import at

pytestmark = pytest.mark.django_db

ACTIVE = sorted(OCCUPYING_STATUSES)


@pytest.fixture
def boardroom():
    return factories.ResourceFactory(name="Boardroom", location__time_zone="Europe/Amsterdam")


def booked(room, start, end, **fields):
    return factories.ReservationFactory(resource=room, start=start, end=end, **fields)


def test_the_statuses_that_hold_a_room_are_all_but_cancelled():
    assert set(ACTIVE) == set(ReservationStatus) - {ReservationStatus.CANCELLED}


@pytest.mark.parametrize(("first", "second"), list(itertools.product(ACTIVE, ACTIVE)))
def test_an_overlap_is_refused_for_every_pair_of_active_statuses(boardroom, first, second):
    sales = booked(boardroom, at(7, 9), at(7, 10), status=first, title="Sales sync")

    with pytest.raises(RoomDoubleBooked) as refused:
        booked(boardroom, at(7, 9, 30), at(7, 10, 30), status=second)

    assert refused.value.message == f"Boardroom is booked 09:00–10:00 by 'Sales sync' (#{sales.pk})"
    assert Reservation.objects.count() == 1


def test_back_to_back_cancelled_other_rooms_and_shared_spaces_are_allowed(boardroom):
    booked(boardroom, at(7, 9), at(7, 10))
    booked(boardroom, at(7, 10), at(7, 11))  # back to back
    booked(boardroom, at(7, 9), at(7, 11), status=ReservationStatus.CANCELLED)
    booked(factories.ResourceFactory(name="Maas"), at(7, 9), at(7, 10))
    hall = factories.ResourceFactory(name="Hall", shared_space=True)
    booked(hall, at(7, 9), at(7, 10))
    booked(hall, at(7, 9), at(7, 10))

    assert Reservation.objects.count() == 6


def test_uncancelling_or_moving_onto_a_held_slot_is_refused(boardroom):
    booked(boardroom, at(7, 9), at(7, 10), title="Sales sync")
    cancelled = booked(boardroom, at(7, 9), at(7, 10), status=ReservationStatus.CANCELLED)
    later = booked(boardroom, at(7, 11), at(7, 12))

    cancelled.status = ReservationStatus.CONFIRMED
    with pytest.raises(RoomDoubleBooked):
        cancelled.save()
    later.start = at(7, 9, 45)
    with pytest.raises(RoomDoubleBooked):
        later.save()

    assert Reservation.objects.get(pk=cancelled.pk).status == ReservationStatus.CANCELLED
    assert Reservation.objects.get(pk=later.pk).start == at(7, 11)


def test_a_room_becomes_exclusive_only_without_overlaps(boardroom):
    hall = factories.ResourceFactory(name="Hall", shared_space=True)
    first = booked(hall, at(7, 9), at(7, 10), title="Yoga")
    second = booked(hall, at(7, 9, 30), at(7, 10, 30), title="Pilates")

    hall.shared_space = False
    with pytest.raises(Exception) as refused:
        hall.full_clean()

    assert refused.value.message_dict["shared_space"] == [
        f"1 reservation(s) here overlap another, e.g. #{first.pk} 'Yoga' and "
        f"#{second.pk} 'Pilates': cancel or move them first."
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the constraint is PostgreSQL's")
def test_the_database_refuses_an_overlap_that_bypasses_the_save(boardroom):
    booked(boardroom, at(7, 9), at(7, 10))
    cancelled = booked(boardroom, at(7, 9), at(7, 10), status=ReservationStatus.CANCELLED)

    with pytest.raises(IntegrityError, match="reservation_no_overlap"), transaction.atomic():
        Reservation.objects.filter(pk=cancelled.pk).update(status=ReservationStatus.OPTION)


@pytest.mark.django_db(transaction=True)
def test_of_two_transactions_racing_for_a_slot_exactly_one_wins(boardroom):
    """The first books and holds its transaction open; the second checks meanwhile (and, on
    PostgreSQL, cannot see the first) and must still be refused."""
    first_saved, outcome = threading.Event(), {}

    def first():
        with transaction.atomic():
            outcome["first"] = booked(boardroom, at(7, 9), at(7, 10), title="First")
            first_saved.set()
            threading.Event().wait(0.5)  # committed only after the second has tried
        connection.close()

    def second():
        first_saved.wait(5)
        try:
            booked(boardroom, at(7, 9, 30), at(7, 10, 30), title="Second")
        except RoomDoubleBooked as exc:
            outcome["refused"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert list(Reservation.objects.values_list("title", flat=True)) == ["First"]
    assert outcome["refused"].blocking.pk == outcome["first"].pk


# --- admin and API ------------------------------------------------------------------------------


def test_the_admin_form_names_the_reservation_in_the_way_with_a_link(client, boardroom):
    sales = booked(boardroom, at(7, 9), at(7, 10), title="Sales sync")
    client.force_login(member_of("Back office"))

    response = client.post(
        "/admin/bookings/reservation/add/",
        {
            "title": "Board meeting",
            "start_0": "2026-12-07",
            "start_1": "09:30",
            "end_0": "2026-12-07",
            "end_1": "10:30",
            "status": "confirmed",
            "resource": boardroom.pk,
            "service_reservations-TOTAL_FORMS": "0",
            "service_reservations-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert (
        f'Boardroom is booked 09:00–10:00 by <a href="/admin/bookings/reservation/{sales.pk}/'
        f"change/\">'Sales sync' (#{sales.pk})</a>"
    ) in response.content.decode()
    assert Reservation.objects.count() == 1


def test_the_api_answers_409_naming_the_reservation_in_the_way(client, boardroom):
    sales = booked(boardroom, at(7, 9), at(7, 10), title="Sales sync")
    client.force_login(member_of("Back office"))

    response = client.post(
        "/api/reservations/",
        {
            "title": "Board meeting",
            "resource": boardroom.pk,
            "start": "2026-12-07T09:30:00+01:00",
            "end": "2026-12-07T10:30:00+01:00",
            "status": "option",
        },
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "status": 409,
            "message": f"Boardroom is booked 09:00–10:00 by 'Sales sync' (#{sales.pk})",
            "field": None,
            "details": {
                "conflicting_reservation": {
                    "id": sales.pk,
                    "title": "Sales sync",
                    "resource": boardroom.pk,
                    "start": "2026-12-07T08:00:00+00:00",
                    "end": "2026-12-07T09:00:00+00:00",
                    "url": f"/api/reservations/{sales.pk}/",
                }
            },
        }
    }


def test_the_api_moving_a_reservation_onto_a_held_slot_is_a_409(client, boardroom):
    booked(boardroom, at(7, 9), at(7, 10), title="Sales sync")
    later = booked(boardroom, at(7, 11), at(7, 12))
    client.force_login(member_of("Back office"))

    response = client.patch(
        f"/api/reservations/{later.pk}/",
        {"start": "2026-12-07T09:00:00+01:00", "end": "2026-12-07T09:30:00+01:00"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith("Boardroom is booked 09:00–10:00")
    assert Reservation.objects.get(pk=later.pk).start == at(7, 11)


def test_a_series_occurrence_on_a_held_slot_is_refused_by_name(boardroom):
    booked(boardroom, at(8, 9), at(8, 10), title="Sales sync")
    series = factories.ReservationSeriesFactory(resource=boardroom, title="Stand-up")

    for day in (7, 8):
        try:
            booked(boardroom, at(day, 9), at(day, 9, 15), series=series, title="Stand-up")
        except RoomDoubleBooked as exc:
            refused = (day, exc.message.split(" (#")[0])

    assert refused == (8, "Boardroom is booked 09:00–10:00 by 'Sales sync'")
    assert series.occurrences.count() == 1
    assert dt.date(2026, 12, 7) == series.occurrences.get().start.date()


def test_many_at_once_are_refused_by_whatever_is_in_their_way(boardroom):
    """create_reservations (Sync Down's bulk insert) and overlapping_pairs: a new reservation
    starting before a stored one, or one overlapping another of the same batch."""
    sales = booked(boardroom, at(7, 9), at(7, 10), title="Sales sync")

    def new(title, start, end):
        return Reservation(resource=boardroom, title=title, start=start, end=end)

    early = new("Early", at(7, 8, 30), at(7, 9, 30))  # ends inside Sales sync
    before = new("Before", at(7, 8), at(7, 8, 30))  # back to back with Early
    lunch, second_lunch = (
        new("Lunch", at(7, 12), at(7, 13)),
        new("Lunch 2", at(7, 12, 30), at(7, 14)),
    )
    after = new("After", at(7, 14), at(7, 15))

    pairs = overlapping_pairs([early, before, lunch, second_lunch, after])

    assert [(r.title, holder.title) for r, holder in pairs] == [
        ("Early", "Sales sync"),
        ("Lunch 2", "Lunch"),
    ]
    with pytest.raises(RoomDoubleBooked) as refused:
        create_reservations([before, early])
    assert refused.value.blocking == sales
    assert Reservation.objects.count() == 1
