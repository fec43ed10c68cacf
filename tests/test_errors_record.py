import logging

import pytest

from common.http_client import TransportError
from errors import recording
from errors.models import Operation, SyncError
from tests import factories

pytestmark = pytest.mark.django_db


def test_record_saves_every_detail_and_logs_it(caplog):
    connection = factories.SyncConnectionFactory()
    reservation = factories.ReservationFactory()

    with caplog.at_level(logging.WARNING, logger="errors.recording"):
        error = recording.record(
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
        recording.record(operation="Publish", stage="x", message="y")
    assert SyncError.objects.count() == 0


def test_the_failed_call_gives_status_request_id_and_message():
    # Given a call that failed
    failure = TransportError("The mailbox is not found.", status=404, request_id="req-404")

    # When it is recorded, once as it is and once with more said
    as_is = recording.record(operation=Operation.SYNC_DOWN, stage="delta page", error=failure)
    said = recording.record(
        operation=Operation.DELETE,
        stage="delete event",
        error=failure,
        message=f"{failure.message} (event AAMk1)",
    )

    # Then each carries the call's status and request-id, and its own message
    assert [
        (e.status_code, e.request_id, e.error_message)
        for e in SyncError.objects.filter(pk__in=[as_is.pk, said.pk]).order_by("pk")
    ] == [
        (404, "req-404", "The mailbox is not found."),
        (404, "req-404", "The mailbox is not found. (event AAMk1)"),
    ]


def test_a_record_needs_a_message_or_the_failed_call():
    with pytest.raises(TypeError, match="needs a message or the failed call's error"):
        recording.record(operation=Operation.SYNC_DOWN, stage="delta page")
    assert SyncError.objects.count() == 0
