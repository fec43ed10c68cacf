"""Time limits every background job shares, derived from the task cluster's time-out."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def task_time_budget() -> float:
    """Seconds a worker task may work before it hands on to a new run: well inside the task
    time-out, after which the cluster kills it."""
    return settings.Q_CLUSTER["timeout"] * 0.8


def stale_claim_age() -> dt.timedelta:
    """A claim older than the task time-out is a dead worker's: the cluster has killed it."""
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 5)
