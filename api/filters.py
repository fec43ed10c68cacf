"""List filters as serializers of the query string: validated (a bad value is a 400 naming
the parameter), and described in the schema by the same class."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers


class ListFilters(serializers.Serializer):
    """Base of a list's filters: `apply` narrows the queryset by the values given."""

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        raise NotImplementedError


class FilteredListMixin:
    """A viewset whose list is narrowed by its `filters` serializer (a bad value → 400)."""

    filters: type[ListFilters] | None = None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)  # type: ignore[misc]
        if self.filters is None or self.action != "list":  # type: ignore[attr-defined]
            return queryset
        params = self.filters(data=self.request.query_params)  # type: ignore[attr-defined]
        params.is_valid(raise_exception=True)
        given = {key: value for key, value in params.validated_data.items() if value is not None}
        return params.apply(queryset, given)
