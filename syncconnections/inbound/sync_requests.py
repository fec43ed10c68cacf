"""Sync requests: which connections must be synced down, and the worker that does it."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Collection

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from common import task_queue, work_queue
from common.concurrency import in_threads
from syncconnections import wakeups
from syncconnections.inbound.delta import (
    FirstPage,
    SyncResult,
    first_pages,
    sync_down,
    unexpected_failure,
)
from syncconnections.models import SyncConnection, SyncRequest

logger = logging.getLogger(__name__)

WORKER = "sync_down"
# Taken at once, their first delta pages read in one $batch call (delta.first_pages).
CLAIM_SIZE = 20
MAX_ATTEMPTS = 8
# While notifications for a calendar keep coming, its delta is read at most this often: the
# first read at once, one more after the last notification, and each counts against the
# mailbox's Graph quota.
READ_INTERVAL = dt.timedelta(seconds=1)


def request_sync(connection_ids: Collection[int], reason: str = "notification") -> bool:
    """Ask for a sync of these connections, coalesced with any already asked for; True when
    a new request was made (else an existing one covers it)."""
    if not connection_ids:
        return False
    # A request waiting for its first try covers any change made before its sync reads the
    # calendar, which is after it is claimed: nothing to write (notifications come in storms).
    waiting = set(
        SyncRequest.objects.filter(
            sync_connection_id__in=connection_ids, claimed_at=None, not_before=None
        ).values_list("sync_connection_id", flat=True)
    )
    rest = [pk for pk in connection_ids if pk not in waiting]
    if not rest:
        return False
    # One being synced now may have read the calendar already: it must run again.
    bumped = SyncRequest.objects.filter(sync_connection_id__in=rest).update(
        version=F("version") + 1, not_before=None
    )
    if bumped == len(rest):
        wake()  # one that was waiting after a failure is due now
        return False
    spaced = _next_reads(rest)
    SyncRequest.objects.bulk_create(
        [
            SyncRequest(sync_connection_id=pk, reason=reason, throttled_until=spaced.get(pk))
            for pk in rest
        ],
        ignore_conflicts=True,
    )
    wake()
    return True


def _next_reads(connection_ids: Collection[int]) -> dict[int, dt.datetime]:
    """When the calendars read less than READ_INTERVAL ago may be read again."""
    recent = timezone.now() - READ_INTERVAL
    return {
        pk: read_at + READ_INTERVAL
        for pk, read_at in SyncConnection.objects.filter(
            pk__in=connection_ids, delta_read_at__gt=recent
        ).values_list("pk", "delta_read_at")
    }


def defer(connection_id: int, seconds: float, reason: str = "throttled") -> None:
    """Sync the connection, but not for `seconds` (Graph's Retry-After)."""
    until = timezone.now() + dt.timedelta(seconds=seconds)
    SyncRequest.objects.bulk_create(
        [SyncRequest(sync_connection_id=connection_id, reason=reason, throttled_until=until)],
        ignore_conflicts=True,
    )
    SyncRequest.objects.filter(sync_connection_id=connection_id, claimed_at=None).update(
        throttled_until=until
    )


def wake() -> None:
    wakeups.wake(WORKER, sync_pending, "sync down from Outlook")


def claim(limit: int | None = None) -> list[SyncRequest]:
    return list(
        work_queue.claim(
            SyncRequest.objects.all(), order_by="requested_at", limit=limit or CLAIM_SIZE
        )
    )


def _wait_for_next_read(deadline: float) -> list[SyncRequest]:
    """Nothing is ready, but a calendar read moments ago may be read again within
    READ_INTERVAL: wait for it (a short, bounded wait) rather than leave it to the minute's
    schedule."""
    now = timezone.now()
    due = (
        SyncRequest.objects.filter(
            claimed_at=None,
            throttled_until__gt=now,
            throttled_until__lte=now + READ_INTERVAL,
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now + READ_INTERVAL))
        .order_by("throttled_until")
        .values_list("throttled_until", flat=True)
        .first()
    )
    if due is None:
        return []
    wait = (due - now).total_seconds()
    if time.monotonic() + wait > deadline:
        return []
    time.sleep(wait)
    return claim()


def sync_safely(request: SyncRequest, first: FirstPage | None = None) -> SyncResult:
    """Sync Down for a request; an unexpected error (a bug, a constraint hit by a concurrent
    sync of the same calendar) becomes a SyncError and a transient failure, so the request is
    tried again later and the other requests are not held up."""
    try:
        return sync_down(request.sync_connection_id, first)
    except Exception as exc:
        logger.exception("Sync Down of connection %s failed", request.sync_connection_id)
        return unexpected_failure(request.sync_connection_id, exc)


def sync_pending(time_budget: float | None = None) -> dict[str, int]:
    """Run the requested syncs. Safe to run at any time, twice."""
    budget = task_queue.task_time_budget() if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    wakeups.lower(WORKER)
    done = failed = 0
    while not task_queue.stop_requested() and (
        requests := claim() or _wait_for_next_read(deadline)
    ):
        firsts = first_pages([r.sync_connection_id for r in requests])
        # The calendars are applied side by side: what one waits for (Graph's checks of
        # removed events, its further pages, the database) does not hold up the others.
        claimed = [(r, firsts.get(r.sync_connection_id)) for r in requests]
        for outcome in in_threads(_sync_claimed, claimed, settings.SYNC_DOWN_THREADS):
            done += outcome in ("done", "failed for good")
            failed += outcome in ("failed", "failed for good")
        if time.monotonic() > deadline or wakeups.others_waiting(WORKER):
            # Out of time, or another worker (a push) waits for a task worker: this one
            # hands over and goes on in a fresh run, queued after it, so that a busy Outlook
            # never keeps the back office's bookings from Outlook.
            wake()
            break
    return {"synced": done, "failed": failed}


def _sync_claimed(claimed: tuple[SyncRequest, FirstPage | None]) -> str:
    """Sync one claimed request (with its first page read ahead) and settle its row; what
    came of it."""
    request, first = claimed
    if task_queue.stop_requested():
        # The cluster is stopping: what is not begun goes back, for the next one.
        work_queue.release(work_queue.claimed(request))
        return "released"
    read_at = first.read_at if first is not None else timezone.now()
    result = sync_safely(request, first)
    if result.throttled_for is not None:
        work_queue.throttle(work_queue.claimed(request), result.throttled_for)
        return "throttled"
    if result.ok or result.error.permanent or request.attempts + 1 >= MAX_ATTEMPTS:
        # Deleted unless a notification raised the version during the sync; then it syncs
        # once more, READ_INTERVAL after this read began.
        work_queue.settle(work_queue.claimed(request), throttled_until=read_at + READ_INTERVAL)
        return "done" if result.ok else "failed for good"
    work_queue.retry_later(request)
    return "failed"
