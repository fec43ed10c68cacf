"""Queued work that workers claim: the rows, when one is ready, and what a worker does with
what it claimed (settle, release, retry later, throttle).

A claim is one conditional UPDATE, so two workers (or two clusters) never hold the same row;
a change that arrives while a row is worked on bumps its version, and settling then leaves
the row to be worked on again instead of deleting it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypeVar

from django.apps import apps
from django.db import models
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from common.backoff import backoff
from common.task_queue import claimant, claimant_is_gone, stale_claim_age

# Sent with the model as sender when claims of gone workers were released: whoever works
# that queue wakes its worker.
claims_released = Signal()


class QueuedWork(models.Model):
    """A row of work: claimed by a worker, deleted when done."""

    # Raised by each change that arrives; copied to claimed_version when claimed.
    version = models.PositiveIntegerField(default=0)
    claimed_version = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    # The host and process holding the claim (common.task_queue.claimant): a cluster starting
    # on this host takes up the claims of processes that are gone.
    claimed_by = models.CharField(max_length=150, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    # Backing off after a failure: a new change brings it forward.
    not_before = models.DateTimeField(null=True, blank=True)
    # The service asked (Retry-After) not to be called before then, or the work is spaced: a
    # new change does not bring it forward, as it does a back-off (not_before).
    throttled_until = models.DateTimeField(null=True, blank=True)

    # After a failure: this many seconds, doubling with each attempt, at most the longest.
    retry_first = 30.0
    retry_longest = 3600.0

    class Meta:
        abstract = True


Work = TypeVar("Work", bound=QueuedWork)


def ready() -> Q:
    """Unclaimed (or claimed by a worker the cluster has killed by now) and due."""
    now = timezone.now()
    return (
        (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim_age()))
        & (Q(not_before__isnull=True) | Q(not_before__lte=now))
        & (Q(throttled_until__isnull=True) | Q(throttled_until__lte=now))
    )


def claim(queue: models.QuerySet[Work], *, order_by: str, limit: int) -> models.QuerySet[Work]:
    """Claim up to `limit` ready rows of `queue` in that order; the rows claimed."""
    model = queue.model
    candidates = list(queue.filter(ready()).order_by(order_by).values_list("pk", flat=True)[:limit])
    if not candidates:
        return model.objects.none()
    token = uuid.uuid4()
    # Conditional: a row another worker claimed meanwhile no longer matches ready().
    model.objects.filter(ready(), pk__in=candidates).update(
        claimed_at=timezone.now(),
        claim=token,
        claimed_version=F("version"),
        claimed_by=claimant(),
    )
    return model.objects.filter(claim=token)


def claimed(row: QueuedWork) -> models.QuerySet:
    """The row, as long as this claim holds it."""
    return type(row).objects.filter(pk=row.pk, claim=row.claim)


def settle(rows: models.QuerySet, **then: object) -> None:
    """Done: delete the rows no change arrived for while they were worked on; release the
    others (with `then` set) to be worked on again with the new state. In this order: once
    released, a row no longer matches `rows`."""
    rows.filter(version=F("claimed_version")).delete()
    release(rows, **then)


def release(rows: models.QuerySet, **then: object) -> int:
    """Back to the queue as they are (not begun, or to run again)."""
    return rows.update(claim=None, claimed_at=None, **then)


def retry_later(row: QueuedWork) -> int:
    """A failure: released with one attempt more, after the queue's back-off."""
    attempt = row.attempts + 1
    wait = backoff(attempt, first=row.retry_first, longest=row.retry_longest, jitter=0.2)
    return release(
        claimed(row), attempts=attempt, not_before=timezone.now() + dt.timedelta(seconds=wait)
    )


def throttle(rows: models.QuerySet, seconds: float) -> int:
    """The service said when to come back: not a failure, and not a moment sooner."""
    return release(rows, throttled_until=timezone.now() + dt.timedelta(seconds=seconds))


def release_claims_of_gone_workers() -> int:
    """Release the claims of this host's worker processes that no longer exist, in every
    queue, so a cluster started after a crash goes on at once rather than after the
    stale-claim age. Claims from other hosts are left to that age."""
    released = 0
    for model in apps.get_models():
        if not issubclass(model, QueuedWork):
            continue
        held = model.objects.filter(claim__isnull=False)
        owners = set(held.values_list("claimed_by", flat=True).distinct())
        gone = [owner for owner in owners if owner and claimant_is_gone(owner)]
        # A gone process claims nothing more: releasing by its name races no one.
        count = release(held.filter(claimed_by__in=gone))
        if count:
            claims_released.send(sender=model, count=count)
        released += count
    return released
