"""The API at its edges: oversized requests, made-up cursors, methods an endpoint lacks,
cancelling through a change, series that a reservation cannot join."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Direction, ReservationStatus
from syncconnections.models import CompanyLogEntry
from tests import factories
from tests.helpers import client_for, error_of, member_of

pytestmark = pytest.mark.django_db
RESERVATIONS = "/api/reservations/"
LOG = "/api/company-log/"


def test_too_many_parameters_are_a_400_in_the_error_shape_not_a_500():
    query = "&".join(f"p{i}=1" for i in range(1_100))

    response = APIClient().get(f"{RESERVATIONS}?{query}")

    assert response.status_code == 400
    assert error_of(response)["message"].startswith("The request was refused: ")


def test_paging_back_through_entries_of_the_same_moment_misses_none():
    moment = timezone.now() - dt.timedelta(hours=1)
    made = [factories.CompanyLogEntryFactory().pk for _ in range(5)]
    CompanyLogEntry.objects.filter(pk__in=made).update(created_at=moment)
    client = client_for(member_of("Support"))

    def path(url):
        return urlsplit(url)._replace(scheme="", netloc="").geturl() if url else None

    forward, url, last = [], f"{LOG}?page_size=2", None
    while url:
        body = client.get(url).json()
        forward.append([e["id"] for e in body["results"]])
        last, url = body, path(body["next"])
    backward, url = [], path(last["previous"])
    while url:
        body = client.get(url).json()
        backward.append([e["id"] for e in body["results"]])
        url = path(body["previous"])

    newest_first = sorted(made, reverse=True)
    assert forward == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert backward == [newest_first[2:4], newest_first[0:2]]


def test_a_made_up_cursor_is_a_404():
    client = client_for(member_of("Support"))

    response = client.get(f"{LOG}?cursor=cD1nYXJiYWdl")  # "p=garbage"

    assert response.status_code == 404
    assert error_of(response)["message"] == "Invalid cursor"


def test_a_method_an_endpoint_lacks_is_a_405_whatever_the_permissions():
    location = factories.LocationFactory()
    client = client_for(member_of("Support"))

    response = client.delete(f"/api/locations/{location.pk}/")

    assert response.status_code == 405
    assert error_of(response)["message"] == 'Method "DELETE" not allowed.'


def test_a_completed_reservation_cannot_be_cancelled_by_changing_its_status():
    reservation = factories.ReservationFactory(status=ReservationStatus.COMPLETED)
    client = client_for(member_of("Back office"))

    response = client.patch(
        f"{RESERVATIONS}{reservation.pk}/", {"status": "cancelled"}, format="json"
    )

    reservation.refresh_from_db()
    assert response.status_code == 409
    assert error_of(response)["message"] == (
        f"{reservation} is completed: it can no longer be cancelled."
    )
    assert reservation.status == ReservationStatus.COMPLETED


def test_a_reservation_cannot_join_an_outlook_series_or_another_rooms_series():
    reservation = factories.ReservationFactory()
    outlook_series = factories.ReservationSeriesFactory(
        resource=reservation.resource, direction=Direction.INBOUND
    )
    other_room = factories.ReservationSeriesFactory()
    client = client_for(member_of("Back office"))
    url = f"{RESERVATIONS}{reservation.pk}/"

    into_outlook = client.patch(url, {"series": outlook_series.pk}, format="json")
    into_other = client.patch(url, {"series": other_room.pk}, format="json")

    assert (into_outlook.status_code, error_of(into_outlook)["message"]) == (
        400,
        "series: This series was made in Outlook: only Outlook adds occurrences.",
    )
    assert (into_other.status_code, error_of(into_other)["message"]) == (
        400,
        "series: The series is booked for another resource.",
    )
    reservation.refresh_from_db()
    assert reservation.series is None
