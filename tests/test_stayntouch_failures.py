"""StayNTouch when things go wrong: overlapping jobs, lost answers, unreadable answers,
retries that no longer apply, missing charge codes, two accounts for one company."""

import pytest

from accounts_pms import postings, retry
from accounts_pms.accounts import sync_account
from accounts_pms.models import PostingAccount, StayNTouchRequest
from accounts_pms.rover import RoverClient
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


def test_charges_wait_for_a_posting_account_another_job_is_making(sandbox, stayntouch, linked):
    reservation = booking(linked)
    PostingAccount.objects.create(reservation=reservation, rover_account_id="x")  # claimed

    set_status(reservation, ReservationStatus.COMPLETED)
    waiting = StayNTouchRequest.objects.get(operation="post_charges")
    state_while_busy = (waiting.state, waiting.error_message)
    PostingAccount.objects.filter(reservation=reservation).delete()  # that job died
    postings.ensure_posting_account(reservation, stayntouch)
    due_for_retry(waiting)
    summary = retry.retry_due()

    assert state_while_busy == (
        "failed",
        f"A posting account for {reservation} is being created already. The charges wait for it.",
    )
    assert (summary.retried, summary.succeeded) == (1, 1)
    posting = PostingAccount.objects.get(reservation=reservation)
    assert len(sandbox.rover()["charges"][posting.rover_id]) == 2


def test_a_gateway_time_out_on_a_post_is_not_sent_again(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION)
    sandbox.fault("/charges$", status=504, method="POST", times=1)

    set_status(reservation, ReservationStatus.COMPLETED)

    posts = [c for c in rover_calls(sandbox) if c == ("POST", c[1]) and c[1].endswith("/charges")]
    request = StayNTouchRequest.objects.get(operation="post_charges")
    assert len(posts) == 1
    assert (request.state, request.status_code) == ("failed", 504)
    assert not PostingAccount.objects.get().charges_claimed_at  # released for the retry


def test_an_unreadable_answer_fails_the_request_instead_of_leaving_it_pending(
    sandbox, linked, monkeypatch
):
    reservation = booking(linked, status=ReservationStatus.OPTION)

    def unreadable(self, posting_account_id):
        raise KeyError("results")

    monkeypatch.setattr(RoverClient, "list_charges", unreadable)

    set_status(reservation, ReservationStatus.COMPLETED)

    request = StayNTouchRequest.objects.get(operation="post_charges")
    assert request.state == "failed"
    assert request.error_message == "Unexpected answer from StayNTouch: KeyError: 'results'"


def test_a_request_left_pending_by_a_killed_job_is_retried(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.COMPLETED)
    StayNTouchRequest.objects.all().delete()
    PostingAccount.objects.filter(reservation=reservation).update(
        charges_posted_at=None, charges_claimed_at=None
    )
    cut_off = StayNTouchRequest.objects.create(
        operation="post_charges", reservation=reservation, state="pending", attempts=1
    )
    due_for_retry(cut_off)

    summary = retry.retry_due()

    cut_off.refresh_from_db()
    assert (summary.retried, summary.succeeded) == (1, 1)
    assert (cut_off.state, cut_off.attempts) == ("succeeded", 2)


def test_a_retry_that_no_longer_applies_sends_nothing_and_stops(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION)
    sandbox.fault("/charges$", status=503, method="POST", times=3)
    set_status(reservation, ReservationStatus.COMPLETED)
    request = StayNTouchRequest.objects.get(operation="post_charges")
    set_status(reservation, ReservationStatus.CANCELLED)
    calls_before = len(rover_calls(sandbox))

    outcome = retry.retry(request)

    request.refresh_from_db()
    assert outcome.message == "Not retried: the reservation is now Cancelled."
    assert (request.state, request.attempts) == ("failed", retry.MAX_ATTEMPTS)
    assert len(rover_calls(sandbox)) == calls_before


def test_nothing_is_retried_while_stayntouch_is_switched_off(sandbox, stayntouch, linked):
    reservation = booking(linked)
    sandbox.fault("/connect/posting_accounts$", status=503, times=3)
    set_status(reservation, ReservationStatus.OPTION)
    request = StayNTouchRequest.objects.get(operation="create_posting_account")
    stayntouch.enabled = False
    stayntouch.save()
    calls_before = len(rover_calls(sandbox))

    outcome = retry.retry(request)
    summary = retry.retry_due(time_budget=10)  # what cron does

    request.refresh_from_db()
    assert outcome.message == (
        "StayNTouch is switched off (StayNTouch settings, Enabled): nothing was sent."
    )
    assert (request.state, request.attempts) == ("failed", 1)  # a refusal is no attempt
    assert summary.retried == 0
    assert len(rover_calls(sandbox)) == calls_before


def test_sync_to_stayntouch_follows_the_same_switch(sandbox, stayntouch):
    """One rule: switched off, neither Sync to StayNTouch nor Retry callout sends."""
    stayntouch.enabled = False
    stayntouch.save()
    account = factories.AccountFactory(name="Initech")
    calls_before = len(rover_calls(sandbox))

    result = sync_account(account)

    assert (result.ok, result.message) == (
        False,
        "StayNTouch is switched off (StayNTouch settings, Enabled): nothing was sent.",
    )
    assert len(rover_calls(sandbox)) == calls_before
    assert not StayNTouchRequest.objects.exists()


def test_a_missing_charge_code_is_named_and_nothing_is_posted(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION, room_code="")

    set_status(reservation, ReservationStatus.COMPLETED)

    request = StayNTouchRequest.objects.get(operation="post_charges")
    assert request.state == "failed"
    assert request.error_message == (
        f"The charges of {reservation} were not posted: no charge code for "
        f"{reservation.resource}. Add it, then retry."
    )
    posting = PostingAccount.objects.get()
    assert sandbox.rover()["charges"][posting.rover_id] == []


def test_a_free_room_is_not_charged(sandbox, linked):
    reservation = booking(linked, status=ReservationStatus.OPTION, room_code="", price="0")

    set_status(reservation, ReservationStatus.COMPLETED)

    posting = PostingAccount.objects.get()
    charges = sandbox.rover()["charges"][posting.rover_id]
    assert [(c["charge_code"], c["amount"]) for c in charges] == [("410", 16.0)]


def test_two_accounts_never_share_a_rover_company(sandbox, linked):
    other = gen25(account_number="")

    result = sync_account(other)

    company = sandbox.rover()["accounts"][0]
    assert result.ok is False
    assert result.message == (
        f"Gen25 was not linked: Rover company {company['id']} is already linked to the "
        "account Gen25. Give the accounts their own account numbers."
    )
    assert not other.__class__.objects.get(pk=other.pk).__dict__.get("rover_link")


def test_a_name_match_with_another_account_number_is_another_company(sandbox, stayntouch):
    sandbox.seed(rover_accounts=[{"name": "Gen25", "account_number": "OTHER-1"}])
    account = gen25()

    result = sync_account(account)

    assert result.message.startswith("Created Gen25 in StayNTouch")
    assert len(sandbox.rover()["accounts"]) == 2
