"""Background jobs of the PMS integration. Each reads the current state, so running one
late or twice does no harm."""

from __future__ import annotations

from accounts_pms import postings, retry
from common.task_queue import Recurring


def status_reached(reservation_id: int) -> list[str]:
    return [outcome.message for outcome in postings.on_status(reservation_id)]


def retry_callouts(max_age_days: int = retry.DEFAULT_MAX_AGE_DAYS) -> dict[str, int]:
    return retry.retry_due(max_age_days).__dict__


SCHEDULES = [Recurring("Retry failed StayNTouch callouts", retry_callouts, minutes=5)]
