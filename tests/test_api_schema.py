"""The OpenAPI schema at /api/schema/ and the documentation page at /api/docs/."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.helpers import client_for, error_of, member_of

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_with_every_endpoint():
    response = client_for(member_of("Support")).get("/api/schema/")

    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert sorted(
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    ) == [
        ("GET", "/api/accounts/"),
        ("GET", "/api/accounts/{id}/"),
        ("GET", "/api/availability/"),
        ("GET", "/api/cancellation-requests/"),
        ("GET", "/api/cancellation-requests/{id}/"),
        ("GET", "/api/cancellation-requests/{id}/status-info/"),
        ("GET", "/api/company-log/"),
        ("GET", "/api/company-log/{id}/"),
        ("GET", "/api/locations/"),
        ("GET", "/api/locations/{id}/"),
        ("GET", "/api/outlook-conflicts/"),
        ("GET", "/api/outlook-conflicts/{id}/"),
        ("GET", "/api/reservation-series/"),
        ("GET", "/api/reservation-series/{id}/"),
        ("GET", "/api/reservations/"),
        ("GET", "/api/reservations/{id}/"),
        ("GET", "/api/resources/"),
        ("GET", "/api/resources/{id}/"),
        ("GET", "/api/stayntouch-requests/"),
        ("GET", "/api/stayntouch-requests/{id}/"),
        ("GET", "/api/sync-connections/"),
        ("GET", "/api/sync-connections/{id}/"),
        ("GET", "/api/sync-errors/"),
        ("GET", "/api/sync-errors/{id}/"),
        ("PATCH", "/api/reservations/{id}/"),
        ("POST", "/api/accounts/{id}/sync-to-stayntouch/"),
        ("POST", "/api/cancellation-requests/{id}/approve/"),
        ("POST", "/api/cancellation-requests/{id}/keep/"),
        ("POST", "/api/outlook-conflicts/{id}/give-way/"),
        ("POST", "/api/outlook-conflicts/{id}/keep-ours/"),
        ("POST", "/api/reservation-series/"),
        ("POST", "/api/reservation-series/{id}/change/"),
        ("POST", "/api/reservations/"),
        ("POST", "/api/reservations/{id}/cancel-following/"),
        ("POST", "/api/reservations/{id}/cancel/"),
        ("POST", "/api/reservations/{id}/change-following/"),
        ("POST", "/api/stayntouch-requests/{id}/retry/"),
        ("POST", "/api/sync-connections/{id}/activate/"),
        ("POST", "/api/sync-connections/{id}/deactivate/"),
        ("POST", "/api/sync-connections/{id}/validate/"),
        ("POST", "/api/sync-errors/retry/"),
        ("POST", "/api/sync-errors/{id}/retry/"),
        ("PUT", "/api/reservations/{id}/"),
    ]
    assert set(schema["components"]["securitySchemes"]) == {"oauth2", "cookieAuth"}
    oauth2 = schema["components"]["securitySchemes"]["oauth2"]
    assert (oauth2["type"], oauth2["flows"]) == (
        "oauth2",
        {"clientCredentials": {"tokenUrl": "/api/oauth/token/", "scopes": {}}},
    )
    assert schema["paths"]["/api/reservations/"]["post"]["security"] == [
        {"oauth2": []},
        {"cookieAuth": []},
    ]


def test_the_schema_documents_the_error_shape_and_the_conflicts():
    schema = client_for(member_of("Support")).get("/api/schema/").json()

    approve = schema["paths"]["/api/cancellation-requests/{id}/approve/"]["post"]
    error = {"$ref": "#/components/schemas/Error"}
    assert sorted(approve["responses"]) == ["200", "400", "401", "403", "404", "409", "415", "429"]
    assert approve["responses"]["409"]["content"]["application/json"]["schema"] == error
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == [
        "details",
        "field",
        "message",
        "status",
    ]


def test_the_schema_needs_a_signed_in_staff_user():
    response = APIClient().get("/api/schema/")

    assert response.status_code == 401
    assert error_of(response)["message"] == "Authentication credentials were not provided."


def test_the_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text().startswith("openapi: 3.0.3\n")


def test_the_docs_page_sends_strangers_to_the_admin_login(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/api/docs/"


def test_the_docs_page_is_served_without_a_cdn(client):
    client.force_login(member_of("Support"))

    response = client.get("/api/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    # Its script is a file of its own, not inline: the Content-Security-Policy allows no other
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/?script=").content.decode()
    assert '"/api/schema/"' in script
