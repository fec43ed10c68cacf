import logging

import pytest

import errors
from errors.models import Operation, SyncError
from tests import factories

pytestmark = pytest.mark.django_db


def test_record_saves_every_detail_and_logs_it(caplog):
    connection = factories.SyncConnectionFactory()
    reservation = factories.ReservationFactory()

    with caplog.at_level(logging.WARNING, logger="errors.recording"):
        error = errors.record(
            operation=Operation.CREATE,
            stage="create event",
            message="ErrorAccessDenied: Access is denied.",
            connection=connection,
            reservation=reservation,
            status_code=403,
            request_id="8d6a1a2c-0000-4000-8000-000000000001",
        )

    stored = SyncError.objects.get()
    assert stored == error
    assert (
        stored.operation,
        stored.stage,
        stored.error_message,
        stored.sync_connection,
        stored.reservation,
        stored.status_code,
        stored.request_id,
        stored.resolved,
    ) == (
        "create",
        "create event",
        "ErrorAccessDenied: Access is denied.",
        connection,
        reservation,
        403,
        "8d6a1a2c-0000-4000-8000-000000000001",
        False,
    )
    assert str(stored) == "Create failed: create event"
    assert "Create at create event (status 403" in caplog.text


def test_record_refuses_an_unknown_operation():
    with pytest.raises(ValueError, match="'Publish' is not a valid Operation"):
        errors.record(operation="Publish", stage="x", message="y")
    assert SyncError.objects.count() == 0
