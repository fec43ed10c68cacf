"""List filters the dashboard links to."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

# A connection is set up (valid), switched on (active), and counts as syncing from its first
# successful sync; until then it waits.
CONNECTION_STATES: dict[str, tuple[str, Q]] = {
    "invalid": ("Not valid", Q(valid=False)),
    "inactive": ("Valid, inactive", Q(valid=True, active=False)),
    "waiting": ("Active, waiting for its first sync", Q(active=True, last_synced_at=None)),
    "syncing": ("Syncing", Q(active=True, last_synced_at__isnull=False)),
}


# Across the states above: active connections notified of changes by a subscription.
LIVE = ("Live (subscribed)", Q(active=True, use_live_sync=True) & ~Q(subscription_id=""))


class ConnectionStateFilter(admin.SimpleListFilter):
    title = "sync state"
    parameter_name = "state"
    CHOICES = {**CONNECTION_STATES, "live": LIVE}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.CHOICES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in self.CHOICES:
            return queryset.filter(self.CHOICES[self.value()][1])
        return queryset
