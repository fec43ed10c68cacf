"""Cancellation requests through the API: approve ("Cancel") and keep ("Keep") decide
exactly as in the admin (cancellations/decisions.py); a refusal is a 409. Status info reads
the event from Outlook and changes nothing."""

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from bookings.models import ReservationStatus
from cancellations.models import CancellationRequest
from syncconnections.inbound.delta import sync_down
from syncconnections.models import OutlookEvent
from tests import factories
from tests.helpers import client_for, error_of, member_of
from tests.sync_helpers import (
    AMSTERDAM,
    book,
    cancelled_in_outlook,
    graph_calls,
    last_request_id,
)

pytestmark = pytest.mark.django_db
REQUESTS = "/api/cancellation-requests/"


def pending(title="Offsite", **fields):
    reservation = factories.ReservationFactory(
        title=title,
        start=dt.datetime(2026, 12, 7, 10, tzinfo=AMSTERDAM),
        end=dt.datetime(2026, 12, 7, 11, tzinfo=AMSTERDAM),
    )
    reservation.refresh_from_db()  # snapshot it as sync does: as stored (in UTC)
    return factories.CancellationRequestFactory(reservation=reservation, **fields)


def test_approve_cancels_the_reservation_and_records_who_decided():
    request = pending()
    sibling = factories.CancellationRequestFactory(reservation=request.reservation)
    link = factories.OutlookEventFactory(
        sync_connection=request.sync_connection,
        reservation=request.reservation,
        event_id=request.outlook_event_id,
    )
    user = member_of("Back office")

    response = client_for(user).post(f"{REQUESTS}{request.pk}/approve/", format="json")

    request.refresh_from_db()
    sibling.refresh_from_db()
    request.reservation.refresh_from_db()
    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["message"]) == (True, "Cancelled Offsite (2026-12-07 10:00).")
    assert (body["request"]["id"], body["request"]["state"], body["request"]["decided_by"]) == (
        request.pk,
        "approved",
        "back-office",
    )
    assert (request.state, request.decided_by, request.decided_at is not None) == (
        "approved",
        user,
        True,
    )
    assert (sibling.state, sibling.decided_by) == ("approved", user)
    assert request.reservation.status == ReservationStatus.CANCELLED
    assert not OutlookEvent.objects.filter(pk=link.pk).exists()


def test_a_reservation_changed_since_detection_is_not_cancelled_blindly():
    request = pending()
    reservation = request.reservation
    reservation.start = dt.datetime(2026, 12, 7, 9, tzinfo=AMSTERDAM)
    reservation.save()
    client = client_for(member_of("Back office"))

    refused = client.post(f"{REQUESTS}{request.pk}/approve/", {}, format="json")
    request.refresh_from_db()
    state_after_refusal = request.state
    confirmed = client.post(
        f"{REQUESTS}{request.pk}/approve/", {"despite_changes": True}, format="json"
    )

    assert refused.status_code == 409
    assert error_of(refused) == {
        "status": 409,
        "message": "Not cancelled: Offsite (2026-12-07 09:00) changed since the cancellation "
        "was detected (start: Dec. 7, 2026, 10 a.m. → Dec. 7, 2026, 9 a.m.). Re-check "
        "it in Outlook (“Get status info”), then approve it again, confirming the changes.",
        "field": None,
        "details": {
            "changes": [
                {
                    "field": "start",
                    "detected": "2026-12-07T09:00:00+00:00",
                    "now": "2026-12-07T08:00:00+00:00",
                }
            ]
        },
    }
    assert state_after_refusal == "pending"
    assert confirmed.status_code == 200
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED


def test_a_request_is_decided_once():
    request = pending()
    client = client_for(member_of("Back office"))

    first = client.post(f"{REQUESTS}{request.pk}/approve/")
    second = client.post(f"{REQUESTS}{request.pk}/keep/")

    request.refresh_from_db()
    decided_at = timezone.localtime(request.decided_at).strftime("%Y-%m-%d %H:%M")
    assert first.status_code == 200
    assert second.status_code == 409
    assert error_of(second)["message"] == (
        "Nothing done: this request was already approved (reservation cancelled) by "
        f"back-office at {decided_at}."
    )
    assert request.state == "approved"


def test_keep_leaves_the_reservation_and_says_why_outlook_is_left_alone():
    request = pending()
    user = member_of("Back office")

    response = client_for(user).post(f"{REQUESTS}{request.pk}/keep/")

    request.refresh_from_db()
    request.reservation.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["message"] == (
        "Kept Offsite (2026-12-07 10:00). This calendar is not written to (inbound sync or "
        "inactive), so Outlook is left as it is."
    )
    assert (request.state, request.decided_by) == ("rejected", user)
    assert request.reservation.status == ReservationStatus.CONFIRMED


def test_keep_puts_the_event_back_in_outlook(sandbox, room):
    reservation = book(room, status=ReservationStatus.CONFIRMED)
    gone = OutlookEvent.objects.get(reservation=reservation).event_id
    sandbox.outlook_delete(room.user_id, gone)
    sync_down(room.pk)
    request = CancellationRequest.objects.get(reservation=reservation)

    response = client_for(member_of("Back office")).post(f"{REQUESTS}{request.pk}/keep/")

    [event] = sandbox.events(room.user_id)
    assert response.status_code == 200
    assert response.json()["message"] == (
        f"Kept {reservation}; its event is being put back in Outlook."
    )
    assert event["id"] != gone
    # A new transactionId: Graph would answer the old one with the deleted event.
    assert event["transactionId"] == str(uuid.uuid5(reservation.uuid, "outlook-event/1"))
    assert OutlookEvent.objects.get(reservation=reservation).event_id == event["id"]


def test_the_list_shows_pending_first_and_filters_by_state():
    decided = pending(title="Decided", state="rejected", decided_at=timezone.now())
    older = pending(title="Older")
    newer = pending(title="Newer")
    client = client_for(member_of("Support"))

    listed = client.get(REQUESTS).json()["results"]
    rejected = client.get(REQUESTS, {"state": "rejected"}).json()["results"]
    read = client.get(f"{REQUESTS}{newer.pk}/").json()

    assert [r["id"] for r in listed] == [newer.pk, older.pk, decided.pk]
    assert [r["id"] for r in rejected] == [decided.pk]
    assert "outlook_data" not in listed[0]
    assert read["outlook_data"]["id"] == newer.outlook_event_id
    assert read["reservation_snapshot"]["title"] == "Newer"


def test_support_reads_requests_but_cannot_decide_them():
    request = pending()
    client = client_for(member_of("Support"))

    read = client.get(f"{REQUESTS}{request.pk}/")
    approve = client.post(f"{REQUESTS}{request.pk}/approve/")
    keep = client.post(f"{REQUESTS}{request.pk}/keep/")

    request.refresh_from_db()
    assert read.status_code == 200
    assert (approve.status_code, keep.status_code) == (403, 403)
    assert error_of(approve)["message"] == (
        "You need the permission cancellations.approve_cancellationrequest for this."
    )
    assert error_of(keep)["message"] == (
        "You need the permission cancellations.reject_cancellationrequest for this."
    )
    assert request.state == "pending"
    assert request.reservation.status == ReservationStatus.CONFIRMED


@pytest.mark.parametrize(("how", "outlook_state"), [("delete", "deleted"), ("cancel", "cancelled")])
def test_status_info_reads_the_event_from_outlook_and_changes_nothing(
    sandbox, room, how, outlook_state
):
    request, event_id = cancelled_in_outlook(sandbox, room, how)
    since = last_request_id(sandbox)

    response = client_for(member_of("Back office")).get(f"{REQUESTS}{request.pk}/status-info/")

    body = response.json()
    request.refresh_from_db()
    request.reservation.refresh_from_db()
    assert response.status_code == 200
    assert (body["request"], body["outlook_state"]) == (request.pk, outlook_state)
    if how == "delete":
        assert body["event"] is None
    else:
        assert (body["event"]["id"], body["event"]["isCancelled"]) == (event_id, True)
        assert body["event"]["subject"] == "Canceled: Quarterly review"
    assert graph_calls(sandbox, since) == [("GET", f"/v1.0/users/{room.user_id}/events/{event_id}")]
    assert (request.state, request.decided_by) == ("pending", None)
    assert request.reservation.status == ReservationStatus.CONFIRMED


def test_status_info_of_an_event_still_in_outlook(sandbox, room):
    reservation = book(room, status=ReservationStatus.CONFIRMED)
    event_id = OutlookEvent.objects.get(reservation=reservation).event_id
    request = factories.CancellationRequestFactory(
        reservation=reservation, sync_connection=room, outlook_event_id=event_id
    )

    response = client_for(member_of("Back office")).get(f"{REQUESTS}{request.pk}/status-info/")

    body = response.json()
    assert (body["outlook_state"], body["event"]["id"]) == ("present", event_id)
    assert (body["event"]["subject"], body["event"]["isCancelled"]) == ("Quarterly review", False)


def test_status_info_says_what_graph_answered_when_it_fails(sandbox, room):
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    sandbox.fault(f"/users/{room.user_id}/events/", status=403, times=1)

    response = client_for(member_of("Back office")).get(f"{REQUESTS}{request.pk}/status-info/")

    request.refresh_from_db()
    assert response.status_code == 409
    error = error_of(response)
    assert (error["status"], error["field"], error["details"]) == (409, None, {})
    assert re.fullmatch(
        r"Could not be checked. Microsoft Graph answered: 403 Error: Injected fault: 403 "
        r"\(request-id [0-9a-f-]{36}\)",
        error["message"],
    )
    assert request.state == "pending"


def test_status_info_of_a_request_without_a_connection_is_a_conflict():
    request = pending(sync_connection=None)

    response = client_for(member_of("Back office")).get(f"{REQUESTS}{request.pk}/status-info/")

    assert response.status_code == 409
    assert error_of(response)["message"] == (
        "Could not be checked. The request has no connection, so no calendar to ask."
    )


def test_support_may_not_ask_outlook_for_status_info():
    request = pending()

    response = client_for(member_of("Support")).get(f"{REQUESTS}{request.pk}/status-info/")

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "You need the permission cancellations.get_status_info_cancellationrequest for this."
    )
