"""Sync errors through the API: read and filtered; Retry as in the admin (shared service)."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Direction, Reservation
from errors.models import SyncError
from syncconnections.inbound.delta import sync_down
from tests import factories
from tests.helpers import client_for, error_of, member_of, result_ids
from tests.sync_helpers import meeting

pytestmark = pytest.mark.django_db
ERRORS = "/api/sync-errors/"


def created(error, days_ago):
    SyncError.objects.filter(pk=error.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return error.pk


def test_the_list_is_newest_first_and_filters_by_operation_connection_resolved_and_date():
    connection = factories.SyncConnectionFactory()
    old = created(factories.SyncErrorFactory(sync_connection=connection, operation="sync_down"), 9)
    fixed = created(
        factories.SyncErrorFactory(resolved=True, resolved_at=timezone.now(), operation="create"), 3
    )
    new = created(factories.SyncErrorFactory(sync_connection=connection, operation="create"), 1)
    client = client_for(member_of("Support"))

    def ids(**params):
        return result_ids(client.get(ERRORS, params))

    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert ids() == [new, fixed, old]
    assert ids(operation="create") == [new, fixed]
    assert ids(connection=connection.pk) == [new, old]
    assert ids(resolved="false") == [new, old]
    assert ids(resolved="true") == [fixed]
    assert ids(since=since) == [new, fixed]
    assert ids(until=since) == [old]


def test_an_error_reads_with_what_support_needs():
    error = factories.SyncErrorFactory(
        operation="update",
        stage="patch event",
        status_code=429,
        error_message="Too many requests",
        request_id="b7d9c0de-0000-4000-8000-000000000001",
    )

    body = client_for(member_of("Support")).get(f"{ERRORS}{error.pk}/").json()

    assert {k: v for k, v in body.items() if k != "created_at"} == {
        "id": error.pk,
        "operation": "update",
        "stage": "patch event",
        "status_code": 429,
        "error_message": "Too many requests",
        "request_id": "b7d9c0de-0000-4000-8000-000000000001",
        "sync_connection": error.sync_connection_id,
        "reservation": None,
        "retry_count": 0,
        "last_retried_at": None,
        "resolved": False,
        "resolved_at": None,
        "notified_at": None,
    }


def test_retry_syncs_down_again_and_the_error_is_resolved(sandbox, room):
    sandbox.outlook_create(room.user_id, **meeting())
    sandbox.fault("/calendarView/delta", status=403, times=1)
    sync_down(room.pk)
    error = SyncError.objects.get()

    response = client_for(member_of("Integration admin")).post(f"{ERRORS}{error.pk}/retry/")

    error.refresh_from_db()
    assert response.status_code == 202
    assert response.json() == {
        "message": "Retrying 1 error(s); each is marked resolved when its operation succeeds.",
        "retried": [error.pk],
        "skipped": [],
    }
    assert (error.resolved, error.retry_count) == (True, 1)
    assert Reservation.objects.get().direction == Direction.INBOUND


def test_an_error_with_nothing_to_run_again_is_a_409():
    orphan = factories.SyncErrorFactory(reservation=None, operation="create")

    response = client_for(member_of("Integration admin")).post(f"{ERRORS}{orphan.pk}/retry/")

    orphan.refresh_from_db()
    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": "Not retried: 1 error(s) already resolved or with nothing to run again here.",
        "field": None,
        "details": {"skipped": [orphan.pk]},
    }
    assert orphan.retry_count == 0


def test_several_errors_are_retried_at_once():
    reservation = factories.ReservationFactory()
    first = factories.SyncErrorFactory(reservation=reservation, operation="create")
    second = factories.SyncErrorFactory(reservation=reservation, operation="update")
    resolved = factories.SyncErrorFactory(resolved=True, resolved_at=timezone.now())

    response = client_for(member_of("Integration admin")).post(
        f"{ERRORS}retry/", {"ids": [first.pk, second.pk, resolved.pk, 999999]}, format="json"
    )

    assert response.status_code == 202
    assert response.json() == {
        "message": "Retrying 2 error(s); each is marked resolved when its operation succeeds. "
        "Not retried: 1 error(s) already resolved or with nothing to run again here.",
        "retried": [first.pk, second.pk],
        "skipped": [resolved.pk],
    }
    assert list(SyncError.objects.order_by("pk").values_list("retry_count", flat=True)) == [1, 1, 0]


def test_retrying_several_needs_a_list_of_ids():
    response = client_for(member_of("Integration admin")).post(
        f"{ERRORS}retry/", {"ids": []}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["field"] == "ids"


def test_support_reads_errors_but_cannot_retry_them():
    error = factories.SyncErrorFactory(reservation=factories.ReservationFactory())
    client = client_for(member_of("Support"))

    read = client.get(f"{ERRORS}{error.pk}/")
    retry = client.post(f"{ERRORS}{error.pk}/retry/")
    many = client.post(f"{ERRORS}retry/", {"ids": [error.pk]}, format="json")

    assert read.status_code == 200
    assert (retry.status_code, many.status_code) == (403, 403)
    assert error_of(retry)["message"] == "You need the permission errors.retry_syncerror for this."
    error.refresh_from_db()
    assert error.retry_count == 0
