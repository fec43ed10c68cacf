"""A fresh listing of the window (a window roll, a resync after an expired token) reports no
deletions: what was deleted meanwhile is still found, and what cannot be checked is not
taken for deleted."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections.inbound.delta import roll_window, sync_down
from syncconnections.models import SyncConnection
from tests.helpers import log_operations
from tests.sync_helpers import meeting

pytestmark = pytest.mark.django_db


def asked_about(reservation):
    request = CancellationRequest.objects.get()
    return (request.reservation, request.state, request.external_state)


def test_a_deletion_before_the_window_rolls_is_not_lost(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    sandbox.outlook_delete(room.user_id, made["id"])
    SyncConnection.objects.filter(pk=room.pk).update(
        delta_window_start=timezone.localdate() - dt.timedelta(days=40)
    )

    result = roll_window(room.pk)

    reservation = Reservation.objects.get()
    assert result.ok
    assert reservation.status == ReservationStatus.CONFIRMED
    assert asked_about(reservation) == (reservation, "pending", "100")
    assert log_operations() == ["created", "deleted"]


def test_a_deletion_while_the_token_had_expired_is_found(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    sandbox.outlook_delete(room.user_id, made["id"])
    sandbox.expire_delta(room.user_id)

    result = sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert (result.ok, result.resynced) == (True, True)
    assert asked_about(reservation) == (reservation, "pending", "100")
    assert log_operations() == ["created", "deleted"]

    sandbox.expire_delta(room.user_id)
    sync_down(room.pk)  # listed afresh again: nothing new to say

    assert CancellationRequest.objects.count() == 1
    assert log_operations() == ["created", "deleted"]


def test_an_event_that_cannot_be_checked_is_not_taken_for_deleted(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sync_down(room.pk)
    token = SyncConnection.objects.get(pk=room.pk).delta_token
    sandbox.outlook_delete(room.user_id, made["id"])
    sandbox.fault(r"\$batch", status=403, code="ErrorAccessDenied", times=1)

    result = sync_down(room.pk)

    assert result.ok is False
    assert SyncError.objects.get().stage == "delta page"
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    assert CancellationRequest.objects.count() == 0
    assert SyncConnection.objects.get(pk=room.pk).delta_token == token  # the page comes again

    sync_down(room.pk)

    reservation = Reservation.objects.get()
    assert asked_about(reservation) == (reservation, "pending", "100")
    assert log_operations() == ["created", "deleted"]


def test_an_unbooked_cancelled_event_is_logged_once(sandbox, room):
    made = sandbox.outlook_create(room.user_id, **meeting())
    sandbox.outlook_cancel(room.user_id, made["id"])
    sync_down(room.pk)
    sandbox.expire_delta(room.user_id)

    sync_down(room.pk)

    assert Reservation.objects.count() == 0
    assert log_operations() == ["cancelled"]
