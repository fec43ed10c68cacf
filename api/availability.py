"""Find a free room: a location's rooms, free or not from start to end, and what is in the
way (syncconnections.availability does the work, as for the admin's page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ErrorSerializer
from api.fields import MAX_ID, BoundedDateTimeField
from bookings.models import Location, Reservation
from syncconnections import availability

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class AvailabilityQuery(serializers.Serializer):
    location = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The location whose rooms to look at."
    )
    start = BoundedDateTimeField(
        earliest=EARLIEST, help_text="From (ISO 8601; without an offset: the site's zone)."
    )
    end = BoundedDateTimeField(
        earliest=EARLIEST,
        help_text="Until, not included. Less than 62 days after start: Outlook's free/busy "
        "answers no longer period.",
    )
    capacity = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Only rooms seating at least this many (rooms of unknown capacity are left "
        "out then).",
    )

    def validate_location(self, value: int) -> Location:
        found = Location.objects.filter(pk=value).first()
        if found is None:
            raise serializers.ValidationError(f"There is no location {value}.")
        return found

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            availability.check_window(attrs["start"], attrs["end"])
        except availability.WindowError as exc:
            raise serializers.ValidationError({"end": str(exc)}) from None
        return attrs


class RoomSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource.pk", help_text="The room's id.")
    name = serializers.CharField(source="resource.name")
    capacity = serializers.IntegerField(source="resource.capacity", allow_null=True)
    free = serializers.BooleanField(
        help_text="Free in Bookbridge and, where its calendar is connected, in Outlook."
    )
    summary = serializers.CharField(
        help_text='"Free", "Busy", or "Free in Bookbridge; Outlook not checked".'
    )
    outlook = serializers.ChoiceField(
        choices=[availability.CHECKED, availability.NOT_CONNECTED, availability.UNAVAILABLE],
        help_text="Whether Outlook's free/busy was read: not for a room without a connected "
        "calendar; unavailable when the call failed (the room is then not claimed free).",
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="What is in the way, one sentence each."
    )


class AvailabilitySerializer(serializers.Serializer):
    location = serializers.IntegerField(source="location.pk")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    capacity = serializers.IntegerField(allow_null=True)
    rooms = RoomSerializer(many=True)


class AvailabilityView(APIView):
    """Which of a location's active rooms are free from start to end."""

    queryset = Reservation.objects.none()  # reading it needs bookings.view_reservation

    @extend_schema(
        summary="Find a free room",
        parameters=[AvailabilityQuery],
        responses={
            200: AvailabilitySerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Invalid input: an unknown location, an end not after the start, "
                "or a window of 62 days or more; `field` names it.",
            ),
        },
    )
    def get(self, request: Request) -> Response:
        query = AvailabilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        rooms = availability.free_rooms(
            values["location"], values["start"], values["end"], values.get("capacity")
        )
        answer = {**values, "capacity": values.get("capacity"), "rooms": rooms}
        return Response(AvailabilitySerializer(answer).data)
