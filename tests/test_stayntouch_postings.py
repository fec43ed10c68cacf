"""Reservations in Rover: a posting account at the start status, the charges at the end
status, each once, however often the status changes or a callout is retried."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts_pms import retry
from accounts_pms.accounts import sync_account
from accounts_pms.models import PostingAccount, StayNTouchRequest
from bookings.models import ReservationStatus
from tests import factories
from tests.pms_helpers import (
    booking,
    due_for_retry,
    gen25,
    rover_calls,
    set_status,
)

pytestmark = pytest.mark.django_db


def test_the_start_status_makes_one_posting_account(sandbox, linked):
    reservation = booking(linked)
    since = sandbox.requests()[-1]["id"]

    set_status(reservation, ReservationStatus.OPTION)
    set_status(reservation, ReservationStatus.CONFIRMED)
    set_status(reservation, ReservationStatus.OPTION)

    [posting] = sandbox.rover()["posting_accounts"]
    company = sandbox.rover()["accounts"][0]
    assert (posting["type"], posting["account_id"]) == ("HOUSE", company["id"])
    assert posting["name"].startswith("Sales kick-off (")
    assert PostingAccount.objects.get(reservation=reservation).rover_id == str(posting["id"])
    assert rover_calls(sandbox, since) == [("POST", "/connect/posting_accounts")]
    [request] = StayNTouchRequest.objects.filter(operation="create_posting_account")
    assert (request.state, request.status_code, request.reservation) == (
        "succeeded",
        201,
        reservation,
    )


def test_an_unlinked_company_fails_clearly_and_a_retry_after_linking_works(sandbox, stayntouch):
    account = gen25()
    reservation = booking(account)

    set_status(reservation, ReservationStatus.OPTION)
    request = StayNTouchRequest.objects.get()
    failed = (request.operation, request.state, request.error_message)
    calls_before_linking = rover_calls(sandbox)
    sync_account(account)
    outcome = retry.retry(request)

    assert failed == (
        "create_posting_account",
        "failed",
        "The company (Gen25) is not yet in StayNTouch: sync the account first.",
    )
    assert calls_before_linking == []
    assert sandbox.rover()["posting_accounts"] == [] or outcome.ok
    request.refresh_from_db()
    [posting] = sandbox.rover()["posting_accounts"]
    assert (request.state, request.attempts, request.status_code) == ("succeeded", 2, 201)
    assert PostingAccount.objects.get().rover_id == str(posting["id"])


def test_the_end_status_posts_the_documented_charges_once(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION)
    posting = PostingAccount.objects.get(reservation=reservation)

    set_status(reservation, ReservationStatus.COMPLETED)
    set_status(reservation, ReservationStatus.CLOSED)
    set_status(reservation, ReservationStatus.COMPLETED)

    charges = sandbox.rover()["charges"][posting.rover_id]
    assert [(c["charge_code"], c["amount"]) for c in charges] == [("100101", 400.0), ("410", 16.0)]
    assert [c["reference_number"] for c in charges] == [
        f"BB-{reservation.pk}-R",
        f"BB-{reservation.pk}-S{reservation.service_reservations.get().pk}",
    ]
    assert charges[0]["datetime"].endswith("Z") and len(charges[0]["datetime"]) == 24
    posting.refresh_from_db()
    assert posting.charges_posted_at is not None
    posts = [c for c in rover_calls(sandbox) if c[0] == "POST" and c[1].endswith("/charges")]
    assert len(posts) == 1


def test_a_time_out_after_rover_took_the_charges_does_not_charge_twice(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION)
    posting = PostingAccount.objects.get(reservation=reservation)
    sandbox.fault(r"/charges$", kind="drop_after_write", method="POST", times=1)

    set_status(reservation, ReservationStatus.COMPLETED)
    request = StayNTouchRequest.objects.get(operation="post_charges")
    after_drop = (request.state, len(sandbox.rover()["charges"][posting.rover_id]))
    outcome = retry.retry(request)

    assert after_drop == ("failed", 2)  # Rover applied them; the answer was lost
    assert outcome.ok
    assert len(sandbox.rover()["charges"][posting.rover_id]) == 2
    request.refresh_from_db()
    assert (request.state, request.attempts) == ("succeeded", 2)
    assert outcome.message == f"Posted 0 charge(s) of {reservation}."


def test_an_expired_token_is_refreshed_once(sandbox, linked):
    reservation = booking(linked)
    sandbox.expire_rover_tokens()
    since = sandbox.requests()[-1]["id"]

    set_status(reservation, ReservationStatus.OPTION)

    paths = [(r["method"], r["path"], r["status"]) for r in sandbox.requests(since)]
    assert paths == [
        ("POST", "/connect/posting_accounts", 401),
        ("POST", "/oauth/token", 200),
        ("POST", "/connect/posting_accounts", 201),
    ]


def test_a_503_is_retried(sandbox, linked):
    reservation = booking(linked)
    sandbox.fault("/connect/posting_accounts$", status=503, times=1)

    set_status(reservation, ReservationStatus.OPTION)

    assert len(sandbox.rover()["posting_accounts"]) == 1
    assert StayNTouchRequest.objects.get(operation="create_posting_account").state == "succeeded"


def test_a_rover_validation_error_is_a_failed_request_with_its_message(sandbox, linked):
    reservation = booking(linked)
    sandbox.fault("/connect/posting_accounts$", status=422, message="Name can't be blank")

    set_status(reservation, ReservationStatus.OPTION)

    request = StayNTouchRequest.objects.get(operation="create_posting_account")
    assert (request.state, request.status_code, request.error_message) == (
        "failed",
        422,
        "422 ERROR: Name can't be blank",
    )
    assert not PostingAccount.objects.exists()


def test_cron_retries_after_the_back_off_only(sandbox, linked):
    reservation = booking(linked)
    sandbox.fault("/connect/posting_accounts$", status=503, times=3)
    set_status(reservation, ReservationStatus.OPTION)
    request = StayNTouchRequest.objects.get(operation="create_posting_account")

    call_command("retry_callouts")
    too_soon = StayNTouchRequest.objects.get(pk=request.pk).attempts
    StayNTouchRequest.objects.filter(pk=request.pk).update(
        updated_at=timezone.now() - retry.wait_after(1)
    )
    call_command("retry_callouts")

    request.refresh_from_db()
    assert too_soon == 1
    assert (request.state, request.attempts) == ("succeeded", 2)
    assert len(sandbox.rover()["posting_accounts"]) == 1


def test_retry_callouts_refuses_a_bad_age():
    from django.core.management.base import CommandError

    with pytest.raises(
        CommandError, match="--days must be a whole number of days from 1 to 36,500"
    ):
        call_command("retry_callouts", "--days", "0")


def test_a_reservation_saved_in_the_admin_triggers_the_same(sandbox, linked, admin_client):
    room = factories.ResourceFactory(price=Decimal("400.00"), charge_code="100101")
    data = {
        "title": "Board day",
        "start_0": "2026-12-01",
        "start_1": "10:00",
        "end_0": "2026-12-01",
        "end_1": "12:00",
        "status": "option",
        "resource": room.pk,
        "account": linked.pk,
        "service_reservations-TOTAL_FORMS": "0",
        "service_reservations-INITIAL_FORMS": "0",
    }

    response = admin_client.post("/admin/bookings/reservation/add/", data)

    assert response.status_code == 302
    [posting] = sandbox.rover()["posting_accounts"]
    assert posting["name"] == "Board day (2026-12-01 10:00)"
    assert PostingAccount.objects.get().reservation.title == "Board day"


def test_cron_leaves_rovers_refusals_to_a_person(sandbox, linked):
    reservation = booking(linked)
    sandbox.fault("/connect/posting_accounts$", status=422, times=1)
    set_status(reservation, ReservationStatus.OPTION)
    request = StayNTouchRequest.objects.get(operation="create_posting_account")
    due_for_retry(request)

    summary = retry.retry_due()

    request.refresh_from_db()
    assert summary.retried == 0
    assert (request.state, request.attempts, request.status_code) == ("failed", 1, 422)


def test_a_series_booked_in_the_start_status_makes_a_posting_account_per_occurrence(
    sandbox, linked
):
    """Occurrences inserted at once (create_reservations) count as reaching their status."""
    import datetime as dt

    from bookings.models import ReservationSeries
    from bookings.series import book_series

    room = factories.ResourceFactory(name="Rembrandt", location__time_zone="Europe/Amsterdam")
    series = ReservationSeries(
        title="Board", resource=room, account=linked, status=ReservationStatus.OPTION
    )
    series.recurrence = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 3},
    }

    booked = book_series(series, dt.time(9), dt.time(10), cap=180)

    assert sorted(PostingAccount.objects.values_list("reservation_id", flat=True)) == sorted(
        o.pk for o in booked.occurrences
    )
    assert len(sandbox.rover()["posting_accounts"]) == 3
