"""Retrying failed callouts, by a person ("Retry callout") or by cron (`retry_callouts`).

A retry re-runs the operation the request stands for, recording the call in the same request
(its attempts go up). Every operation checks what is already done first, so a retry never
duplicates a company, a posting account or a charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts_pms import accounts, postings
from accounts_pms.models import CalloutState, PmsOperation, StayNTouchRequest, StayNTouchSettings

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
    return min(LONGEST_WAIT, FIRST_WAIT * 2 ** max(0, attempts - 1))


def retry(request: StayNTouchRequest) -> RetryOutcome:
    """Run a failed request's operation again. A request that is not failed is left alone."""
    claimed = StayNTouchRequest.objects.filter(pk=request.pk, state=CalloutState.FAILED).update(
        state=CalloutState.PENDING, updated_at=timezone.now()
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


def retry_due(max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> RetrySummary:
    """Retry the failed requests of the last `max_age_days` days whose back-off is over."""
    now = timezone.now()
    summary = RetrySummary()
    candidates = StayNTouchRequest.objects.filter(
        state=CalloutState.FAILED,
        created_at__gte=now - timedelta(days=max_age_days),
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("created_at")
    for request in candidates.iterator():
        if request.updated_at > now - wait_after(request.attempts):
            continue
        outcome = retry(request)
        summary.retried += 1
        summary.succeeded += outcome.ok
        summary.failed += not outcome.ok
    return summary


def _run(request: StayNTouchRequest) -> tuple[bool, str]:
    if request.operation in (PmsOperation.FIND_ACCOUNT, PmsOperation.CREATE_ACCOUNT):
        if request.account is None:
            return _gone(request, "account")
        result = accounts.sync_account(request.account, retried=request)
        return result.ok, result.message
    stayntouch = StayNTouchSettings.current()
    if stayntouch is None:
        return False, "StayNTouch is not set up."
    reservation = (
        postings.load_reservation(request.reservation_id) if request.reservation_id else None
    )
    if reservation is None:
        return _gone(request, "reservation")
    if request.operation == PmsOperation.CREATE_POSTING_ACCOUNT:
        outcome = postings.ensure_posting_account(reservation, stayntouch, retried=request)
        if outcome.ok and reservation.status == stayntouch.end_status:
            # Its charges waited for the posting account.
            charged = postings.post_charges(reservation, stayntouch)
            return charged.ok, f"{outcome.message} {charged.message}"
        return outcome.ok, outcome.message
    outcome = postings.post_charges(reservation, stayntouch, retried=request)
    return outcome.ok, outcome.message


def _gone(request: StayNTouchRequest, what: str) -> tuple[bool, str]:
    message = f"The {what} of this request no longer exists: nothing to retry."
    request.error_message = message
    request.save(update_fields=["error_message", "updated_at"])
    return False, message
