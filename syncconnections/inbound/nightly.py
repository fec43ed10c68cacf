"""The nightly sync: everything that keeps the two sides in step, made good once a day."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from bookings.models import ReservationSeries
from syncconnections import outbound
from syncconnections.inbound import sync_requests
from syncconnections.inbound.delta import (
    FirstPage,
    SyncResult,
    first_pages,
    roll_window,
    sync_down,
    unexpected_failure,
)
from syncconnections.inbound.subscriptions import RefreshSummary, refresh_subscriptions
from syncconnections.models import OutboxEntry, SyncConnection

logger = logging.getLogger(__name__)


@dataclass
class NightlySummary:
    connections: int = 0
    events: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    requested: int = 0
    failed: list[str] = field(default_factory=list)
    stopped_at: int | None = None  # when the time budget ran out: the last connection done
    series_changed: int = 0
    outbound_retried: int = 0
    throttled: int = 0  # connections Graph asked to come back to later: synced then
    subscriptions: RefreshSummary = field(default_factory=RefreshSummary)

    def lines(self) -> list[str]:
        return [
            f"Synced {self.connections} connections: {self.events} entries read, "
            f"{self.created} reservations created, {self.updated} updated, "
            f"{self.cancelled} cancelled, {self.requested} cancellation requests.",
            f"Series statuses changed: {self.series_changed}.",
            f"Outbound changes retried now: {self.outbound_retried}.",
            self.subscriptions.line(),
            *(
                [f"Throttled by Microsoft Graph, synced once it allows: {self.throttled}."]
                if self.throttled
                else []
            ),
            *[f"Failed: {line}" for line in self.failed],
        ]


def syncing_connections() -> QuerySet[SyncConnection, int]:
    return SyncConnection.objects.syncing_down().order_by("pk").values_list("pk", flat=True)


def nightly_sync(
    progress: Callable[[Iterable[int], str], Iterable[int]] = lambda i, _: i,
    *,
    after: int | None = None,
    time_budget: float | None = None,
) -> NightlySummary:
    """The nightly rounds. `after` continues a night that ran out of time: only connections
    with a greater id, subscriptions done already. With a time budget it stops between two
    connections when the budget is spent and says after which one (`stopped_at`); the part
    that reaches the end does the rounds that come after the connections."""
    deadline = None if time_budget is None else time.monotonic() + time_budget
    summary = NightlySummary()
    if after is None:
        summary.subscriptions = refresh_subscriptions()
    done = after or 0
    ids = list(syncing_connections().filter(pk__gt=done))
    ahead = ReadAhead(ids)
    for connection_id in progress(ids, "Syncing"):
        if summary.connections and deadline is not None and time.monotonic() > deadline:
            summary.stopped_at = done  # at least one connection per part: always progress
            return summary
        done = connection_id
        summary.connections += 1
        for result in sync_connection(connection_id, *ahead.firsts(connection_id)):
            if result.throttled_for is not None:
                sync_requests.defer(connection_id, result.throttled_for)
                summary.throttled += 1
            summary.events += result.events
            for name in ("created", "updated", "cancelled", "requested"):
                setattr(summary, name, getattr(summary, name) + getattr(result.changes, name))
            if not result.ok and result.throttled_for is None:
                summary.failed.append(f"{result.connection}: {result.error}")
    summary.series_changed = recompute_series()
    summary.outbound_retried = OutboxEntry.objects.exclude(not_before=None).update(not_before=None)
    outbound.push_outbound()
    return summary


class ReadAhead:
    """The first delta pages of the next twenty connections, read in one `$batch` call per
    tenant (and one more for those whose window rolls): a quiet room's night costs a
    twentieth of a round trip or two, not two or three round trips."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.position = {pk: n for n, pk in enumerate(ids)}
        self.secondary: dict[int, FirstPage] = {}
        self.primary: dict[int, FirstPage] = {}

    def firsts(self, connection_id: int) -> tuple[FirstPage | None, FirstPage | None]:
        n = self.position[connection_id]
        if n % sync_requests.CLAIM_SIZE == 0:
            chunk = self.ids[n : n + sync_requests.CLAIM_SIZE]
            self.secondary = first_pages(chunk, secondary=True)
            self.primary = first_pages(chunk)
        return self.secondary.pop(connection_id, None), self.primary.pop(connection_id, None)


def sync_connection(
    connection_id: int, secondary: FirstPage | None = None, first: FirstPage | None = None
) -> list[SyncResult]:
    """Roll the window when due, then catch up (a roll that read the primary query to its
    end has caught up); an unexpected error is recorded, not raised, so one connection
    cannot stop the night for the others."""
    try:
        rolled = roll_window(connection_id, secondary, first)
        return [rolled] if rolled.caught_up else [rolled, sync_down(connection_id, first)]
    except Exception as exc:
        logger.exception("Nightly sync of connection %s failed", connection_id)
        return [unexpected_failure(connection_id, exc)]


def recompute_series() -> int:
    """Series whose occurrences fall in the sync window follow their occurrences' statuses."""
    since = timezone.now() - dt.timedelta(days=settings.SYNC_WINDOW_DAYS_BACK)
    series = ReservationSeries.objects.filter(occurrences__end__gte=since).distinct()
    return sum(s.refresh_status() for s in series)
