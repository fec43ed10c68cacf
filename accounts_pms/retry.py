"""Retrying failed callouts, by a person ("Retry callout") or by cron (`retry_callouts`).

A retry re-runs the operation the request stands for, recording the call in the same request
(its attempts go up). Every operation checks what is already done first, so a retry never
duplicates a company, a posting account or a charge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts_pms import accounts, postings
from accounts_pms.callouts import STALE_CLAIM
from accounts_pms.models import (
    SWITCHED_OFF,
    CalloutState,
    PmsOperation,
    StayNTouchRequest,
    StayNTouchSettings,
)
from common.backoff import backoff
from common.http_client import is_permanent
from common.task_queue import task_time_budget

DEFAULT_MAX_AGE_DAYS = 7
MAX_ATTEMPTS = 10
FIRST_WAIT = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)


@dataclass
class RetryOutcome:
    request: StayNTouchRequest
    ok: bool
    message: str


@dataclass
class RetrySummary:
    retried: int = 0
    succeeded: int = 0
    failed: int = 0


def wait_after(attempts: int) -> timedelta:
    """How long a request that failed `attempts` times waits before cron tries it again."""
    # No jitter: when a request is due is worked out again at each run.
    seconds = backoff(
        attempts, first=FIRST_WAIT.total_seconds(), longest=LONGEST_WAIT.total_seconds()
    )
    return timedelta(seconds=seconds)


def retry(request: StayNTouchRequest) -> RetryOutcome:
    """Run a failed request's operation again. A request that is not failed is left alone.

    Every retry counts as an attempt, also one that stops before calling Rover, so the
    back-off grows and cron gives up after MAX_ATTEMPTS; but not one refused because
    StayNTouch is switched off: nothing was tried."""
    if StayNTouchSettings.sending() is None:
        return RetryOutcome(request, False, SWITCHED_OFF)
    claimed = StayNTouchRequest.objects.filter(pk=request.pk, state=CalloutState.FAILED).update(
        state=CalloutState.PENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        request.refresh_from_db()
        return RetryOutcome(
            request, False, f"{request} is {request.get_state_display().lower()}: not retried."
        )
    request.state = CalloutState.FAILED  # as it was: the operation settles it
    try:
        ok, message = _run(request)
    finally:
        # An operation that stopped before calling (someone else is at it) leaves it failed.
        StayNTouchRequest.objects.filter(pk=request.pk, state=CalloutState.PENDING).update(
            state=CalloutState.FAILED
        )
    request.refresh_from_db()
    return RetryOutcome(request, ok, message)


def retry_due(
    max_age_days: int = DEFAULT_MAX_AGE_DAYS, time_budget: float | None = None
) -> RetrySummary:
    """Retry the failed requests of the last `max_age_days` days whose back-off is over,
    for at most `time_budget` seconds. Rover's own refusals (a permanent 4xx) wait for a
    person: retrying the same request cannot change the answer."""
    now = timezone.now()
    deadline = time.monotonic() + (task_time_budget() if time_budget is None else time_budget)
    summary = RetrySummary()
    if StayNTouchSettings.sending() is None:
        return summary  # switched off: nothing is tried, no attempt counted
    recent = now - timedelta(days=max_age_days)
    # A request still pending long after its call must have ended was cut off (a killed job).
    StayNTouchRequest.objects.filter(
        state=CalloutState.PENDING, created_at__gte=recent, updated_at__lt=now - STALE_CLAIM
    ).update(state=CalloutState.FAILED, error_message="Interrupted before the answer came.")
    candidates = StayNTouchRequest.objects.filter(
        state=CalloutState.FAILED, created_at__gte=recent, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at")
    for request in candidates.iterator():
        if time.monotonic() > deadline:
            break
        if request.updated_at > now - wait_after(request.attempts):
            continue
        if is_permanent(request.status_code):
            continue
        outcome = retry(request)
        summary.retried += 1
        summary.succeeded += outcome.ok
        summary.failed += not outcome.ok
    return summary


def _run(request: StayNTouchRequest) -> tuple[bool, str]:
    stayntouch = StayNTouchSettings.sending()
    if stayntouch is None:  # switched off since the retry began
        return False, SWITCHED_OFF
    if request.operation in (PmsOperation.FIND_ACCOUNT, PmsOperation.CREATE_ACCOUNT):
        if request.account is None:
            return _no_longer(request, "its account was deleted")
        result = accounts.sync_account(request.account, retried=request)
        return result.ok, result.message
    reservation = postings.load_reservation(request.reservation_id or 0)
    if reservation is None:
        return _no_longer(request, "its reservation was deleted")
    wanted = {
        PmsOperation.CREATE_POSTING_ACCOUNT: (stayntouch.start_status, stayntouch.end_status),
        PmsOperation.POST_CHARGES: (stayntouch.end_status,),
    }[request.operation]
    if reservation.status not in wanted:
        return _no_longer(request, f"the reservation is now {reservation.get_status_display()}")
    if request.operation == PmsOperation.CREATE_POSTING_ACCOUNT:
        outcome = postings.ensure_posting_account(reservation, stayntouch, retried=request)
        if outcome.ok and reservation.status == stayntouch.end_status:
            # Its charges waited for the posting account.
            charged = postings.post_charges(reservation, stayntouch)
            return charged.ok, f"{outcome.message} {charged.message}"
        return outcome.ok, outcome.message
    outcome = postings.post_charges(reservation, stayntouch, retried=request)
    return outcome.ok, outcome.message


def _no_longer(request: StayNTouchRequest, why: str) -> tuple[bool, str]:
    """Nothing to send any more: said in the request, and cron stops trying it."""
    message = f"Not retried: {why}."
    StayNTouchRequest.objects.filter(pk=request.pk).update(
        state=CalloutState.FAILED, error_message=message, attempts=MAX_ATTEMPTS
    )
    return False, message
