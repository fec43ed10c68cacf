"""Locations and resources (rooms): read only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from api.fields import email_or_blank, object_id, yes_no
from api.filters import FilteredListMixin, ListFilters
from bookings.models import Location, Resource


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ("id", "name", "address", "city", "time_zone")


class ResourceSerializer(serializers.ModelSerializer):
    mailbox_email = email_or_blank("The room's Microsoft 365 mailbox, or empty.")

    class Meta:
        model = Resource
        fields = (
            "id",
            "name",
            "location",
            "mailbox_email",
            "capacity",
            "price",
            "charge_code",
            "is_active",
        )


class ResourceFilters(ListFilters):
    location = object_id("Only the resources at this location.")
    is_active = yes_no("Only active (true) or inactive (false) resources.")

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        lookups = {"location": "location_id", "is_active": "is_active"}
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


@extend_schema_view(
    list=extend_schema(summary="List locations"),
    retrieve=extend_schema(summary="Read a location"),
)
class LocationViewSet(viewsets.ReadOnlyModelViewSet):
    """The locations (buildings) of the resources."""

    queryset = Location.objects.order_by("name", "pk")
    serializer_class = LocationSerializer


@extend_schema_view(
    list=extend_schema(summary="List resources (rooms)", parameters=[ResourceFilters]),
    retrieve=extend_schema(summary="Read a resource"),
)
class ResourceViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Resources: rooms and other bookable things."""

    queryset = Resource.objects.order_by("location__name", "name", "pk")
    serializer_class = ResourceSerializer
    filters = ResourceFilters
