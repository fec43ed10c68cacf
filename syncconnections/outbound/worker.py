"""The outbound worker: claims outbox entries and has them pushed, within a time budget."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from dataclasses import asdict, dataclass

from django.db.models import F, Q
from django.utils import timezone

from syncconnections import wakeups
from syncconnections.models import OutboxEntry
from syncconnections.outbound.queueing import WORKER, wake

CLAIM_SIZE = 100


@dataclass
class PushSummary:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    throttled: int = 0


def push_outbound(time_budget: float | None = None) -> dict[str, int]:
    """Work off the orphaned events and the outbox. Safe to run at any time, twice."""
    from syncconnections.outbound.orphans import OrphanRemover
    from syncconnections.outbound.pusher import Pusher

    budget = wakeups.task_time_budget() if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    wakeups.lower(WORKER)
    summary = PushSummary()
    OrphanRemover(summary).run()
    while not wakeups.stop_requested() and (entries := claim()):
        try:
            Pusher(entries, summary).run()
        except Exception:
            # Not left claimed by a live worker until the stale-claim age: tried again after
            # a back-off (a deadlock, a lost database connection; a bug keeps backing off).
            release_after_failure(entries)
            raise
        if time.monotonic() > deadline:
            wake()  # the rest goes to a fresh run
            break
    return asdict(summary)


def ready() -> Q:
    now = timezone.now()
    return (
        (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - wakeups.stale_claim_age()))
        & (Q(not_before__isnull=True) | Q(not_before__lte=now))
        & (Q(throttled_until__isnull=True) | Q(throttled_until__lte=now))
    )


def claim(limit: int = CLAIM_SIZE) -> list[OutboxEntry]:
    """Claim up to `limit` entries that are due, oldest first."""
    candidates = list(
        OutboxEntry.objects.filter(ready())
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    token = uuid.uuid4()
    # Conditional: an entry another worker claimed meanwhile no longer matches ready().
    OutboxEntry.objects.filter(ready(), pk__in=candidates).update(
        claimed_at=timezone.now(),
        claim=token,
        claimed_version=F("version"),
        claimed_by=wakeups.claimant(),
    )
    return list(
        OutboxEntry.objects.filter(claim=token).select_related(
            "reservation__resource__location", "reservation__staff", "reservation__series"
        )
    )


def release_after_failure(entries: list[OutboxEntry]) -> None:
    now = timezone.now()
    for entry in entries:
        OutboxEntry.objects.filter(pk=entry.pk, claim=entry.claim).update(
            claim=None,
            claimed_at=None,
            attempts=F("attempts") + 1,
            not_before=now + dt.timedelta(seconds=backoff(entry.attempts + 1)),
        )


def backoff(attempt: int) -> float:
    """Seconds before an outbox entry is tried again: 30 s doubling, up to an hour."""
    return min(3600.0, 30.0 * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
