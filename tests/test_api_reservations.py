"""Reservations through the API: the same validation, Outlook and PMS behaviour as the admin."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts_pms.accounts import sync_account
from accounts_pms.models import PostingAccount
from bookings.models import Direction, Reservation, ReservationStatus
from syncconnections.models import OutlookEvent
from tests import factories
from tests.helpers import client_for, count_queries, error_of, member_of, result_ids
from tests.pms_helpers import gen25, sandbox_stayntouch
from tests.sync_helpers import AMSTERDAM, at, book

pytestmark = pytest.mark.django_db
RESERVATIONS = "/api/reservations/"


def moment(day, hour):
    return dt.datetime(2026, 12, day, hour, tzinfo=AMSTERDAM)


def new_reservation(resource, **fields):
    return {
        "title": "Quarterly review",
        "start": "2026-12-07T10:00:00+01:00",
        "end": "2026-12-07T11:00:00+01:00",
        "status": "confirmed",
        "resource": resource.pk,
        **fields,
    }


# --- reading ----------------------------------------------------------------------------------


def test_a_reservation_reads_with_its_services():
    room = factories.ResourceFactory(name="Boardroom")
    reservation = factories.ReservationFactory(
        resource=room,
        title="Sales kick-off",
        description="Bring the figures.",
        start=moment(7, 10),
        end=moment(7, 12),
        status=ReservationStatus.OPTION,
    )
    lunch = factories.ServiceFactory(name="Lunch", price=Decimal("8.00"))
    booked = factories.ServiceReservationFactory(reservation=reservation, service=lunch, quantity=3)

    response = client_for(member_of("Support")).get(f"{RESERVATIONS}{reservation.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": reservation.pk,
        "uuid": str(reservation.uuid),
        "title": "Sales kick-off",
        "description": "Bring the figures.",
        "start": "2026-12-07T10:00:00+01:00",
        "end": "2026-12-07T12:00:00+01:00",
        "status": "option",
        "direction": "outbound",
        "organizer_email": "",
        "resource": room.pk,
        "location": room.location_id,
        "staff": None,
        "account": None,
        "series": None,
        "services": [
            {
                "id": booked.pk,
                "service": lunch.pk,
                "service_name": "Lunch",
                "quantity": 3,
                "unit_price": "8.00",
                "amount": "24.00",
            }
        ],
    }


def test_the_list_filters_by_resource_location_period_and_status():
    zuidas, centrum = factories.LocationFactory(), factories.LocationFactory()
    rembrandt = factories.ResourceFactory(location=zuidas)
    vermeer = factories.ResourceFactory(location=zuidas)
    hals = factories.ResourceFactory(location=centrum)

    def booking(room, day, start, end, status=ReservationStatus.CONFIRMED):
        return factories.ReservationFactory(
            resource=room, start=moment(day, start), end=moment(day, end), status=status
        ).pk

    early = booking(rembrandt, 7, 9, 10)
    overlapping = booking(vermeer, 7, 11, 13, ReservationStatus.OPTION)
    later = booking(hals, 8, 9, 10)
    client = client_for(member_of("Support"))

    assert result_ids(client.get(RESERVATIONS)) == [early, overlapping, later]
    assert result_ids(client.get(RESERVATIONS, {"resource": vermeer.pk})) == [overlapping]
    assert result_ids(client.get(RESERVATIONS, {"location": zuidas.pk})) == [early, overlapping]
    assert result_ids(client.get(RESERVATIONS, {"status": "option"})) == [overlapping]
    period = {"start": "2026-12-07T10:00:00+01:00", "end": "2026-12-07T12:00:00+01:00"}
    assert result_ids(client.get(RESERVATIONS, period)) == [overlapping]  # ends at 10: not in it
    assert result_ids(client.get(RESERVATIONS, {"start": "2026-12-08"})) == [later]
    assert result_ids(client.get(RESERVATIONS, {"end": "2026-12-07"})) == [early, overlapping]
    assert result_ids(client.get(RESERVATIONS, {"direction": "inbound"})) == []


def test_a_bad_filter_is_a_400_naming_it():
    client = client_for(member_of("Support"))

    bad_status = client.get(RESERVATIONS, {"status": "maybe"})
    backwards = client.get(RESERVATIONS, {"start": "2026-12-08", "end": "2026-12-07"})

    assert bad_status.status_code == 400
    assert error_of(bad_status) == {
        "status": 400,
        "message": 'status: "maybe" is not a valid choice.',
        "field": "status",
        "details": {"status": ['"maybe" is not a valid choice.']},
    }
    assert error_of(backwards)["message"] == "end: The end of the period must be after its start."


def test_the_list_costs_the_same_queries_for_one_reservation_or_many():
    client = client_for(member_of("Support"))

    factories.ServiceReservationFactory()
    one = count_queries(client, RESERVATIONS)
    for _ in range(5):
        factories.ServiceReservationFactory(
            reservation=factories.ServiceReservationFactory().reservation
        )
    many = count_queries(client, RESERVATIONS)

    assert Reservation.objects.count() == 6
    assert one == many


# --- writing ----------------------------------------------------------------------------------


def test_back_office_books_a_reservation():
    room = factories.ResourceFactory()
    staff = factories.StaffFactory()

    response = client_for(member_of("Back office")).post(
        RESERVATIONS, new_reservation(room, staff=staff.pk), format="json"
    )

    reservation = Reservation.objects.get()
    assert response.status_code == 201
    assert response.json()["id"] == reservation.pk
    assert (
        reservation.title,
        reservation.start,
        reservation.end,
        reservation.status,
        reservation.direction,
        reservation.staff,
    ) == ("Quarterly review", at(7, 10), at(7, 11), "confirmed", "outbound", staff)


def test_creating_a_reservation_through_the_api_puts_it_in_outlook_as_the_admin_does(sandbox, room):
    response = client_for(member_of("Back office")).post(
        RESERVATIONS, new_reservation(room.resource), format="json"
    )

    reservation = Reservation.objects.get()
    [event] = sandbox.events(room.user_id)
    assert response.status_code == 201
    assert event["transactionId"] == str(reservation.uuid)
    assert event["subject"] == "Quarterly review"
    assert event["start"]["dateTime"] == "2026-12-07T09:00:00.0000000"
    assert event["end"]["dateTime"] == "2026-12-07T10:00:00.0000000"
    assert OutlookEvent.objects.get().event_id == event["id"]


def test_moving_a_reservation_through_the_api_moves_its_outlook_event(sandbox, room):
    reservation = book(room)
    [before] = sandbox.events(room.user_id)

    response = client_for(member_of("Back office")).patch(
        f"{RESERVATIONS}{reservation.pk}/",
        {"start": "2026-12-07T14:00:00+01:00", "end": "2026-12-07T15:00:00+01:00"},
        format="json",
    )

    [after] = sandbox.events(room.user_id)
    assert response.status_code == 200
    assert response.json()["start"] == "2026-12-07T14:00:00+01:00"
    assert after["id"] == before["id"]
    assert after["start"]["dateTime"] == "2026-12-07T13:00:00.0000000"


def test_a_reservation_reaching_the_start_status_through_the_api_gets_its_posting_account(
    sandbox, sandbox_server
):
    sandbox_stayntouch(sandbox_server)
    account = gen25()
    assert sync_account(account).ok
    reservation = factories.ReservationFactory(account=account, status=ReservationStatus.CONCEPT)

    response = client_for(member_of("Back office")).patch(
        f"{RESERVATIONS}{reservation.pk}/", {"status": "option"}, format="json"
    )

    [posting] = sandbox.rover()["posting_accounts"]
    assert response.status_code == 200
    assert PostingAccount.objects.get(reservation=reservation).rover_id == str(posting["id"])


def test_an_end_before_the_start_is_refused_naming_the_end():
    room = factories.ResourceFactory()

    response = client_for(member_of("Back office")).post(
        RESERVATIONS,
        new_reservation(room, end="2026-12-07T09:00:00+01:00"),
        format="json",
    )

    assert response.status_code == 400
    assert error_of(response) == {
        "status": 400,
        "message": "end: The end must be after the start.",
        "field": "end",
        "details": {"end": ["The end must be after the start."]},
    }
    assert Reservation.objects.count() == 0


def test_a_reservation_in_the_last_century_is_refused():
    room = factories.ResourceFactory()

    response = client_for(member_of("Back office")).post(
        RESERVATIONS,
        new_reservation(room, start="1899-12-07T10:00:00+01:00"),
        format="json",
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == "start: Use a moment from 2000-01-01 on."
    assert Reservation.objects.count() == 0


def test_a_change_that_puts_the_end_before_the_start_is_refused():
    reservation = factories.ReservationFactory(start=moment(7, 10), end=moment(7, 11))

    response = client_for(member_of("Back office")).patch(
        f"{RESERVATIONS}{reservation.pk}/", {"start": "2026-12-07T12:00:00+01:00"}, format="json"
    )

    reservation.refresh_from_db()
    assert response.status_code == 400
    assert error_of(response)["field"] == "end"
    assert reservation.start == moment(7, 10)


def test_missing_and_unknown_values_are_named():
    response = client_for(member_of("Back office")).post(
        RESERVATIONS, {"start": "2026-12-07T10:00", "resource": 999999}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response) == {
        "status": 400,
        "message": "title: This field is required.",
        "field": "title",
        "details": {
            "title": ["This field is required."],
            "end": ["This field is required."],
            "resource": ['Invalid pk "999999" - object does not exist.'],
        },
    }


def test_put_replaces_every_field():
    reservation = factories.ReservationFactory(description="Old notes")
    room = factories.ResourceFactory()

    response = client_for(member_of("Back office")).put(
        f"{RESERVATIONS}{reservation.pk}/",
        new_reservation(room, title="Renamed", status="option"),
        format="json",
    )

    reservation.refresh_from_db()
    assert response.status_code == 200
    assert (
        reservation.title,
        reservation.status,
        reservation.resource,
        reservation.description,
    ) == (
        "Renamed",
        "option",
        room,
        "Old notes",  # not sent: a field with a default keeps its value
    )


def test_a_reservation_made_in_outlook_is_read_only():
    reservation = factories.ReservationFactory(direction=Direction.INBOUND, title="From Outlook")
    client = client_for(member_of("Back office"))

    read = client.get(f"{RESERVATIONS}{reservation.pk}/")
    patch = client.patch(f"{RESERVATIONS}{reservation.pk}/", {"title": "Changed"}, format="json")
    cancel = client.post(f"{RESERVATIONS}{reservation.pk}/cancel/")

    assert read.status_code == 200
    assert (patch.status_code, cancel.status_code) == (403, 403)
    assert error_of(patch)["message"] == (
        "This reservation was made in Outlook (direction inbound): it is read-only here and "
        "changes only in Outlook."
    )
    reservation.refresh_from_db()
    assert (reservation.title, reservation.status) == ("From Outlook", "confirmed")


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_sets_the_status_and_tells_so():
    reservation = factories.ReservationFactory(
        title="Offsite", start=moment(7, 10), end=moment(7, 11)
    )
    client = client_for(member_of("Back office"))

    first = client.post(f"{RESERVATIONS}{reservation.pk}/cancel/")
    again = client.post(f"{RESERVATIONS}{reservation.pk}/cancel/")

    reservation.refresh_from_db()
    assert reservation.status == "cancelled"
    assert first.status_code == 200
    assert first.json()["message"] == "Cancelled Offsite (2026-12-07 10:00)."
    assert first.json()["reservation"]["status"] == "cancelled"
    assert (again.status_code, again.json()["message"]) == (
        200,
        "Offsite (2026-12-07 10:00) was already cancelled.",
    )


def test_cancel_removes_the_outlook_event_as_the_admin_does(sandbox, room):
    reservation = book(room)
    assert len(sandbox.events(room.user_id)) == 1

    response = client_for(member_of("Back office")).post(f"{RESERVATIONS}{reservation.pk}/cancel/")

    assert response.status_code == 200
    assert sandbox.events(room.user_id) == []
    assert OutlookEvent.objects.count() == 0


def test_a_completed_reservation_can_no_longer_be_cancelled():
    reservation = factories.ReservationFactory(
        title="Done", start=moment(7, 10), end=moment(7, 11), status=ReservationStatus.COMPLETED
    )

    response = client_for(member_of("Back office")).post(f"{RESERVATIONS}{reservation.pk}/cancel/")

    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": "Done (2026-12-07 10:00) is completed: it can no longer be cancelled.",
        "field": None,
        "details": {},
    }
    reservation.refresh_from_db()
    assert reservation.status == "completed"


# --- permissions ------------------------------------------------------------------------------


def test_support_reads_reservations_but_cannot_book_change_or_cancel():
    reservation = factories.ReservationFactory()
    client = client_for(member_of("Support"))

    read = client.get(f"{RESERVATIONS}{reservation.pk}/")
    create = client.post(RESERVATIONS, new_reservation(reservation.resource), format="json")
    patch = client.patch(f"{RESERVATIONS}{reservation.pk}/", {"title": "x"}, format="json")
    cancel = client.post(f"{RESERVATIONS}{reservation.pk}/cancel/")

    assert read.status_code == 200
    assert (create.status_code, patch.status_code, cancel.status_code) == (403, 403, 403)
    assert error_of(create)["message"] == (
        "You need the permission bookings.add_reservation for this."
    )
    assert error_of(cancel)["message"] == (
        "You need the permission bookings.change_reservation for this."
    )
    assert Reservation.objects.get().status == "confirmed"


def test_without_view_permission_even_reading_is_refused():
    user = factories.UserFactory()  # staff, in no group

    response = client_for(user).get(RESERVATIONS)

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "You need the permission bookings.view_reservation for this."
    )
