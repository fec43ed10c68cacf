"""List filters the dashboard links to."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from syncconnections.models.connections import CONNECTION_STATES


class ConnectionStateFilter(admin.SimpleListFilter):
    title = "sync state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in CONNECTION_STATES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in CONNECTION_STATES:
            return queryset.in_state(self.value())
        return queryset
