"""The nightly sync: everything that keeps the two sides in step, made good once a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from bookings.models import ReservationSeries
from syncconnections import outbound
from syncconnections.inbound.delta import INBOUND_MODES, roll_window, sync_down
from syncconnections.inbound.subscriptions import RefreshSummary, refresh_subscriptions
from syncconnections.models import OutboxEntry, SyncConnection


@dataclass
class NightlySummary:
    connections: int = 0
    events: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    requested: int = 0
    failed: list[str] = field(default_factory=list)
    series_changed: int = 0
    outbound_retried: int = 0
    subscriptions: RefreshSummary = field(default_factory=RefreshSummary)

    def lines(self) -> list[str]:
        s = self.subscriptions
        return [
            f"Synced {self.connections} connections: {self.events} entries read, "
            f"{self.created} reservations created, {self.updated} updated, "
            f"{self.cancelled} cancelled, {self.requested} cancellation requests.",
            f"Series statuses changed: {self.series_changed}.",
            f"Outbound changes retried now: {self.outbound_retried}.",
            f"Subscriptions: {s.created} created, {s.renewed} renewed, {s.removed} removed, "
            f"{s.failed} failed.",
            *[f"Failed: {line}" for line in self.failed],
        ]


def syncing_connections() -> QuerySet[SyncConnection, int]:
    return (
        SyncConnection.objects.filter(active=True, valid=True, tenant__sync_mode__in=INBOUND_MODES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def nightly_sync(
    progress: Callable[[Iterable[int], str], Iterable[int]] = lambda i, _: i,
) -> NightlySummary:
    summary = NightlySummary()
    summary.subscriptions = refresh_subscriptions()
    for connection_id in progress(list(syncing_connections()), "Syncing"):
        summary.connections += 1
        for result in (roll_window(connection_id), sync_down(connection_id)):
            summary.events += result.events
            for name in ("created", "updated", "cancelled", "requested"):
                setattr(summary, name, getattr(summary, name) + getattr(result.changes, name))
            if not result.ok:
                summary.failed.append(f"{result.connection}: {result.error}")
    summary.series_changed = recompute_series()
    summary.outbound_retried = OutboxEntry.objects.exclude(not_before=None).update(not_before=None)
    outbound.push_outbound()
    return summary


def recompute_series() -> int:
    """Series whose occurrences fall in the sync window follow their occurrences' statuses."""
    since = timezone.now() - dt.timedelta(days=settings.SYNC_WINDOW_DAYS_BACK)
    series = ReservationSeries.objects.filter(occurrences__end__gte=since).distinct()
    return sum(s.refresh_status() for s in series)
