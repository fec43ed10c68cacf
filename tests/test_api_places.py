"""Locations and resources (rooms) through the API: read only."""

import pytest

from tests import factories
from tests.helpers import client_for, error_of, member_of

pytestmark = pytest.mark.django_db


def test_locations_are_listed_and_read():
    zuidas = factories.LocationFactory(name="Zuidas", address="Gustav Mahlerlaan 1")
    client = client_for(member_of("Support"))

    listed = client.get("/api/locations/")
    read = client.get(f"/api/locations/{zuidas.pk}/")

    assert listed.status_code == 200
    assert listed.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": zuidas.pk,
                "name": "Zuidas",
                "address": "Gustav Mahlerlaan 1",
                "city": "Amsterdam",
                "time_zone": "Europe/Amsterdam",
            }
        ],
    }
    assert read.json() == listed.json()["results"][0]


def test_resources_are_filtered_by_location_and_activity():
    zuidas = factories.LocationFactory(name="Zuidas")
    centrum = factories.LocationFactory(name="Centrum")
    rembrandt = factories.ResourceFactory(location=zuidas, name="Rembrandt", capacity=12)
    factories.ResourceFactory(location=zuidas, name="Vermeer", is_active=False)
    factories.ResourceFactory(location=centrum, name="Hals")
    client = client_for(member_of("Support"))

    def names(**params):
        return [r["name"] for r in client.get("/api/resources/", params).json()["results"]]

    assert names(location=zuidas.pk) == ["Rembrandt", "Vermeer"]
    assert names(location=zuidas.pk, is_active="false") == ["Vermeer"]
    assert names(is_active="true") == ["Hals", "Rembrandt"]  # Centrum before Zuidas
    assert client.get(f"/api/resources/{rembrandt.pk}/").json() == {
        "id": rembrandt.pk,
        "name": "Rembrandt",
        "location": zuidas.pk,
        "mailbox_email": rembrandt.mailbox_email,
        "capacity": 12,
        "price": "400.00",
        "charge_code": "100101",
        "is_active": True,
    }


def test_resources_and_locations_cannot_be_written_through_the_api():
    room = factories.ResourceFactory()
    client = client_for(member_of("Back office"))  # may change them in the admin

    post = client.post("/api/resources/", {"name": "New"}, format="json")
    patch = client.patch(f"/api/resources/{room.pk}/", {"name": "Renamed"}, format="json")
    delete = client.delete(f"/api/locations/{room.location_id}/")

    assert (post.status_code, patch.status_code, delete.status_code) == (405, 405, 405)
    assert error_of(patch)["message"] == 'Method "PATCH" not allowed.'


def test_resources_need_the_view_permission():
    response = client_for(factories.UserFactory()).get("/api/resources/")

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "You need the permission bookings.view_resource for this."
    )
