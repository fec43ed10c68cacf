"""The back office's recurring jobs (django-q2 task functions) and their schedules."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from common.task_queue import Recurring


def purge_sign_in_failures() -> int:
    """Delete the failed sign-ins older than SIGN_IN_FAILURES_KEPT_DAYS; how many."""
    from axes.models import AccessFailureLog

    before = timezone.now() - dt.timedelta(days=settings.SIGN_IN_FAILURES_KEPT_DAYS)
    deleted, _ = AccessFailureLog.objects.filter(attempt_time__lt=before).delete()
    return deleted


SCHEDULES = [
    Recurring("Purge old sign-in failures", purge_sign_in_failures, daily_at=dt.time(3, 30)),
]
