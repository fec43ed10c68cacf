"""Signing in to the API (an API client's bearer token, or the admin's session), and its
one error shape. API clients and the token endpoint: test_api_clients.py."""

import pytest
from rest_framework.test import APIClient

from api.reservations import ReservationViewSet
from tests import factories
from tests.helpers import bearer_token, client_for, error_of, member_of

pytestmark = pytest.mark.django_db
RESERVATIONS = "/api/reservations/"


def test_a_bearer_token_signs_the_client_in():
    reservation = factories.ReservationFactory(title="Board meeting")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer_token('Support')}")

    response = client.get(RESERVATIONS)

    assert response.status_code == 200
    assert [(r["id"], r["title"]) for r in response.json()["results"]] == [
        (reservation.pk, "Board meeting")
    ]


def test_the_index_lists_the_endpoints():
    response = client_for(member_of("Support")).get("/api/")

    assert response.status_code == 200
    assert response.json()["company-log"] == "http://testserver/api/company-log/"
    assert sorted(response.json()) == [
        "accounts",
        "cancellation-requests",
        "company-log",
        "locations",
        "outlook-conflicts",
        "reservation-series",
        "reservations",
        "resources",
        "stayntouch-requests",
        "sync-connections",
        "sync-errors",
    ]


def test_a_missing_token_is_a_401_in_the_error_shape():
    response = APIClient().get(RESERVATIONS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_of(response) == {
        "status": 401,
        "message": "Authentication credentials were not provided.",
        "field": None,
        "details": {},
    }


def test_a_wrong_token_is_a_401_in_the_error_shape():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer 0123456789abcdef0123456789abcd")

    response = client.get(RESERVATIONS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api",error="invalid_token",error_description="The access token is invalid."'
    )
    assert error_of(response)["message"] == "The access token is invalid."


def test_the_retired_token_scheme_is_not_signed_in():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(RESERVATIONS)

    assert response.status_code == 401
    assert error_of(response)["message"] == "Authentication credentials were not provided."


def test_the_admin_session_signs_in_too(client):
    client.force_login(member_of("Support"))

    response = client.get(RESERVATIONS, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_session_write_needs_the_csrf_token():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member_of("Back office"))

    response = client.post(RESERVATIONS, {"title": "x"}, format="json")

    assert response.status_code == 403
    assert error_of(response)["message"] == "CSRF Failed: CSRF cookie not set."


def test_a_user_who_is_not_staff_is_refused_even_with_permissions():
    user = member_of("Back office", is_staff=False)

    response = client_for(user).get(RESERVATIONS)

    assert response.status_code == 403
    assert error_of(response) == {
        "status": 403,
        "message": "Only staff users may use the API, as only they may use the admin.",
        "field": None,
        "details": {},
    }


def test_every_missing_permission_is_named_in_the_403():
    viewer = factories.UserFactory()

    response = client_for(viewer).post("/api/sync-errors/retry/", {"ids": [1]}, format="json")

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "You need the permissions errors.view_syncerror, errors.retry_syncerror for this."
    )


def test_a_missing_permission_is_named_in_the_403():
    response = client_for(member_of("Support")).get("/api/sync-connections/")

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "You need the permission syncconnections.view_syncconnection for this."
    )


def test_an_unknown_url_is_a_404_in_the_error_shape():
    client = client_for(member_of("Support"))

    unknown = client.post("/api/nothing-here/", {}, format="json")
    no_slash = client.get("/api/reservations")

    assert unknown.status_code == 404
    assert error_of(unknown) == {
        "status": 404,
        "message": "There is no API endpoint at /api/nothing-here/.",
        "field": None,
        "details": {},
    }
    assert no_slash.status_code == 404
    assert error_of(no_slash)["message"] == (
        "There is no API endpoint at /api/reservations. Did you mean /api/reservations/ "
        "(with a slash at the end)?"
    )


def test_an_unknown_object_is_a_404_in_the_error_shape():
    response = client_for(member_of("Support")).get(f"{RESERVATIONS}999999/")

    assert response.status_code == 404
    assert error_of(response)["message"] == "No Reservation matches the given query."


def test_a_method_the_endpoint_lacks_is_a_405_in_the_error_shape():
    reservation = factories.ReservationFactory()

    response = client_for(member_of("Back office")).delete(f"{RESERVATIONS}{reservation.pk}/")

    assert response.status_code == 405
    assert error_of(response)["message"] == 'Method "DELETE" not allowed.'


def test_too_many_requests_are_a_429_saying_when_to_come_back(settings):
    from django.core.cache import caches

    settings.API_RATE_LIMIT = "2/minute"
    caches["api"].clear()
    client = client_for(member_of("Support"))

    statuses = [client.get(RESERVATIONS).status_code for _ in range(3)]
    refused = client.get(RESERVATIONS)
    caches["api"].clear()

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert error_of(refused) == {
        "status": 429,
        "message": "Request was throttled. Expected available in 60 seconds.",
        "field": None,
        "details": {"retry_after": 60},
    }


def test_an_unexpected_failure_is_a_500_in_the_error_shape(monkeypatch, caplog):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ReservationViewSet, "list", broken)

    response = client_for(member_of("Support")).get(RESERVATIONS)

    assert response.status_code == 500
    assert error_of(response) == {
        "status": 500,
        "message": "Internal server error: it has been logged.",
        "field": None,
        "details": {},
    }
    [record] = [r for r in caplog.records if r.name == "api"]
    assert record.getMessage() == "Unexpected error in ReservationViewSet"
    assert str(record.exc_info[1]) == "the disk is full"
