"""Fuzzing the API from its own OpenAPI schema (schemathesis): whatever a client sends to any
endpoint, the answer is never a server error (5xx), and it is one the schema documents, in the
documented shape.

The requests go straight to the WSGI application inside the test's transaction, with the
bearer token of an API client holding every permission (from the real token endpoint), so
every endpoint and action is reached. Ids in paths and bodies are pointed
at objects that exist, so the actions really run. Microsoft Graph is aimed at a closed local
port and StayNTouch is not set up, so actions that call out fail at once, and nothing leaves
the machine. Bounded: a few examples per operation, no example database, derandomized (the
same inputs on every run, so CI is steady; see API_FUZZ_EXAMPLES below for a deeper run).
"""

import json
import os
import socket

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api import clients
from config.wsgi import application
from tests import factories
from tests.helpers import basic_auth

# A few examples per operation keep `make test` quick; API_FUZZ_EXAMPLES=200 digs deeper,
# with fresh random inputs on each run instead of the same ones.
DEEPER = os.environ.get("API_FUZZ_EXAMPLES")
EXAMPLES_PER_OPERATION = int(DEEPER or 12)
# No server error; and every answer is one the schema documents, in the documented shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fuzz_target(db, settings):
    """An all-permissions API client's bearer token, and the id of an existing object for
    each kind of path."""
    nowhere = f"https://127.0.0.1:{closed_port()}"
    settings.GRAPH_API_ROOT = nowhere
    settings.GRAPH_AUTHORITY_HOST = nowhere
    settings.API_RATE_LIMIT = None  # hundreds of requests in a few seconds
    client, secret = clients.create("Fuzzer", permissions=Permission.objects.all())
    token = Client().post(
        "/api/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )
    tenant = factories.TenantFactory(email_domains="contoso.test")
    connection = factories.SyncConnectionFactory(tenant=tenant, valid=True)
    reservation = factories.ReservationFactory(
        resource=connection.resource, account=factories.AccountFactory()
    )
    factories.ServiceReservationFactory(reservation=reservation)
    factories.ReservationFactory(direction="inbound")
    ids = {
        "staff": factories.StaffFactory().pk,
        "series": factories.ReservationSeriesFactory(resource=connection.resource).pk,
        "reservation-series": None,  # the same series, below
        "reservations": reservation.pk,
        "resources": connection.resource_id,
        "locations": connection.resource.location_id,
        "accounts": reservation.account_id,
        "sync-connections": connection.pk,
        "sync-errors": factories.SyncErrorFactory(
            sync_connection=connection, operation="connection_setup"
        ).pk,
        "company-log": factories.CompanyLogEntryFactory(sync_connection=connection).pk,
        "cancellation-requests": factories.CancellationRequestFactory(
            reservation=reservation, sync_connection=connection
        ).pk,
        "outlook-conflicts": factories.OutlookConflictFactory(
            reservation=reservation, sync_connection=connection
        ).pk,
        "stayntouch-requests": factories.StayNTouchRequestFactory(
            account=reservation.account, state="failed"
        ).pk,
    }
    ids["reservation-series"] = ids["series"]
    return {
        "headers": {"Authorization": f"Bearer {token.json()['access_token']}"},
        "ids": ids,
    }


@pytest.fixture
def in_process():
    """Requests served inside the test's transaction, as Django's test client serves them:
    the handler would otherwise close the database connection after each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def served_schema() -> dict:
    """The schema /api/schema/ serves, generated here: collection needs no database."""
    generator = SchemaGenerator(urlconf="config.urls")
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(public=True)))


schema = schemathesis.openapi.from_dict(served_schema())
schema.app = application


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=not DEEPER,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_request_makes_the_api_fail(case, fuzz_target, in_process):
    aim_at_existing_objects(case, fuzz_target["ids"])

    case.call_and_validate(headers=fuzz_target["headers"], checks=CHECKS)


# Fields of request bodies that name another object, and the kind of object they name.
REFERENCES = {
    "resource": "resources",
    "staff": "staff",
    "account": "accounts",
    "series": "series",
    "ids": "sync-errors",
}


def aim_at_existing_objects(case, ids):
    """Ids that are numbers become ids of existing objects (an unknown id only ever gets a
    404 or a 400); anything else is sent as generated."""

    def existing(value, kind):
        if isinstance(value, list):
            return [existing(item, kind) for item in value]
        is_number = isinstance(value, int) and not isinstance(value, bool)
        return ids[kind] if is_number or (isinstance(value, str) and value.isdigit()) else value

    path = case.path_parameters or {}
    if "id" in path:
        path["id"] = existing(path["id"], case.path.removeprefix("/api/").split("/")[0])
    if isinstance(case.body, dict):
        for field, kind in REFERENCES.items():
            if field in case.body:
                case.body[field] = existing(case.body[field], kind)
