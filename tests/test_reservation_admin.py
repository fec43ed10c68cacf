"""Reservations in the admin: inbound ones are read-only; validation messages are clear."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import Direction, Reservation
from tests import factories

pytestmark = pytest.mark.django_db


def test_inbound_reservation_is_view_only(admin_client):
    reservation = factories.ReservationFactory(direction=Direction.INBOUND, title="From Outlook")
    url = reverse("admin:bookings_reservation_change", args=[reservation.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"title": "Changed here"})

    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert post.status_code == 403
    assert Reservation.objects.get(pk=reservation.pk).title == "From Outlook"


def test_end_before_start_is_refused_with_a_clear_message(admin_client):
    room = factories.ResourceFactory()
    data = {
        "title": "Backwards",
        "start_0": "2026-12-01",
        "start_1": "10:00",
        "end_0": "2026-12-01",
        "end_1": "09:00",
        "status": "confirmed",
        "resource": room.pk,
        "service_reservations-TOTAL_FORMS": "0",
        "service_reservations-INITIAL_FORMS": "0",
    }

    response = admin_client.post(reverse("admin:bookings_reservation_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "end": ["The end must be after the start."]
    }
    assert Reservation.objects.count() == 0


def test_adding_a_reservation_with_a_service_takes_the_service_price(admin_client):
    room = factories.ResourceFactory()
    lunch = factories.ServiceFactory(name="Lunch")
    start = "2026-12-01"
    data = {
        "title": "Workshop",
        "start_0": start,
        "start_1": "10:00",
        "end_0": start,
        "end_1": "12:00",
        "status": "option",
        "resource": room.pk,
        "service_reservations-TOTAL_FORMS": "1",
        "service_reservations-INITIAL_FORMS": "0",
        "service_reservations-0-service": lunch.pk,
        "service_reservations-0-quantity": "12",
        "service_reservations-0-unit_price": "",
    }

    response = admin_client.post(reverse("admin:bookings_reservation_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    reservation = Reservation.objects.get()
    assert (reservation.title, reservation.direction, reservation.end - reservation.start) == (
        "Workshop",
        "outbound",
        timedelta(hours=2),
    )
    [booked] = reservation.service_reservations.all()
    assert (booked.service, booked.quantity, str(booked.unit_price), str(booked.amount)) == (
        lunch,
        12,
        "16.00",
        "192.00",
    )


def test_inbound_series_and_its_services_are_view_only(admin_client):
    series = factories.ReservationSeriesFactory(direction=Direction.INBOUND)
    inbound = factories.ReservationFactory(direction=Direction.INBOUND)
    service = factories.ServiceReservationFactory(reservation=inbound)

    series_page = admin_client.get(
        reverse("admin:bookings_reservationseries_change", args=[series.pk])
    )
    service_page = admin_client.get(
        reverse("admin:bookings_servicereservation_change", args=[service.pk])
    )

    assert series_page.context["has_change_permission"] is False
    assert service_page.context["has_change_permission"] is False
    assert service_page.context["has_delete_permission"] is False
