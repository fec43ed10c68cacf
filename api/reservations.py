"""Reservations: list, read, create, change and cancel.

Every write goes through Reservation.save(), so the core's signals send it to Outlook and the
PMS exactly as a save in the admin does. Reservations made in Outlook are read-only.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, ErrorSerializer, double_booked, validation_detail
from api.fields import BoundedDateTimeField, MomentField, email_or_blank, object_id
from api.filters import FilteredListMixin, ListFilters
from api.series import EditedSerializer, SeriesChangeSerializer, edit_response
from bookings import series_edits
from bookings.models import (
    Direction,
    Reservation,
    ReservationStatus,
    ServiceReservation,
)
from bookings.overlaps import RoomDoubleBooked

# Reservations are booked for this century and later (see BoundedDateTimeField).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

INBOUND_READ_ONLY = (
    "This reservation was made in Outlook (direction inbound): it is read-only here and "
    "changes only in Outlook."
)


class BookedServiceSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="quantity × unit price"
    )

    class Meta:
        model = ServiceReservation
        fields = ("id", "service", "service_name", "quantity", "unit_price", "amount")
        read_only_fields = fields


def no_longer_cancellable(reservation: Reservation) -> str:
    return (
        f"{reservation} is {reservation.get_status_display().lower()}: it can no longer be "
        "cancelled."
    )


class ReservationSerializer(serializers.ModelSerializer):
    start = BoundedDateTimeField(earliest=EARLIEST)
    end = BoundedDateTimeField(earliest=EARLIEST)
    organizer_email = email_or_blank("For inbound reservations: the Outlook organizer.")
    location = serializers.IntegerField(
        source="resource.location_id", read_only=True, help_text="The resource's location."
    )
    services = BookedServiceSerializer(
        source="service_reservations",
        many=True,
        read_only=True,
        help_text="Services booked with it (change them in the admin).",
    )

    class Meta:
        model = Reservation
        fields = (
            "id",
            "uuid",
            "title",
            "description",
            "start",
            "end",
            "status",
            "direction",
            "organizer_email",
            "resource",
            "location",
            "staff",
            "account",
            "series",
            "services",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("uuid", "direction", "organizer_email", "created_at", "updated_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The admin form's checks: the model's clean() (the end after the start), its
        fields, and its constraints, on the reservation as it would be saved."""
        if (
            self.instance is not None
            and attrs.get("status") == ReservationStatus.CANCELLED
            and self.instance.status != ReservationStatus.CANCELLED
            and not self.instance.can_be_cancelled
        ):
            raise Conflict(no_longer_cancellable(self.instance))
        candidate = copy.copy(self.instance) if self.instance else Reservation()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        writable = {name for name, field in self.fields.items() if not field.read_only}
        not_on_the_form = [f.name for f in Reservation._meta.fields if f.name not in writable]
        try:
            candidate.full_clean(exclude=not_on_the_form)
        except DjangoValidationError as exc:
            only = exc.error_list if not hasattr(exc, "error_dict") else exc.error_dict
            if isinstance(only, dict) and list(only) == [NON_FIELD_ERRORS]:
                only = only[NON_FIELD_ERRORS]
            if isinstance(only, list) and len(only) == 1 and isinstance(only[0], RoomDoubleBooked):
                raise double_booked(only[0]) from exc  # 409: the input is fine, the room is not
            raise serializers.ValidationError(validation_detail(exc)) from exc
        return attrs


class CancelResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    reservation = ReservationSerializer()


class ReservationFilters(ListFilters):
    resource = object_id("Only reservations of this resource (room).")
    location = object_id("Only reservations of resources at this location.")
    series = object_id("Only the occurrences of this series.")
    start = MomentField(
        help_text="With `end`, a period: only reservations that overlap it (end after "
        "`start`, start before `end`). A date-time, or a date (from its first moment)."
    )
    end = MomentField(
        end_of_day=True,
        help_text="The end of the period (see `start`). A date-time, or a date (through the "
        "end of that day).",
    )
    status = serializers.ChoiceField(choices=ReservationStatus.choices, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError(
                {"end": "The end of the period must be after its start."}
            )
        return attrs

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        lookups = {
            "resource": "resource_id",
            "location": "resource__location_id",
            "series": "series_id",
            "start": "end__gt",
            "end": "start__lt",
            "status": "status",
            "direction": "direction",
        }
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


@extend_schema_view(
    list=extend_schema(summary="List reservations", parameters=[ReservationFilters]),
    retrieve=extend_schema(summary="Read a reservation"),
    create=extend_schema(
        summary="Book a reservation",
        description="Sent to the Outlook calendars of its resource and staff member, and to "
        "the PMS when its status calls for it, as when it is saved in the admin.",
    ),
    update=extend_schema(summary="Change a reservation (every field)"),
    partial_update=extend_schema(summary="Change some fields of a reservation"),
)
class ReservationViewSet(
    FilteredListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Reservations; those made in Outlook (direction inbound) are read-only."""

    serializer_class = ReservationSerializer
    filters = ReservationFilters
    action_permissions = {
        "cancel": ["bookings.change_reservation"],
        "cancel_following": ["bookings.change_reservation"],
        "change_following": ["bookings.change_reservation"],
    }
    # Changing these needs an outbound reservation (made here, not in Outlook).
    WRITES = frozenset(
        {"update", "partial_update", "cancel", "cancel_following", "change_following"}
    )

    def get_queryset(self) -> QuerySet[Reservation]:
        booked = ServiceReservation.objects.select_related("service").order_by("pk")
        return (
            Reservation.objects.select_related("resource")
            .prefetch_related(Prefetch("service_reservations", queryset=booked))
            .order_by("start", "pk")
        )

    def get_object(self) -> Reservation:
        reservation = super().get_object()
        if self.action in self.WRITES and reservation.is_inbound:
            raise PermissionDenied(INBOUND_READ_ONLY)
        return reservation

    @extend_schema(
        summary="Cancel a reservation",
        operation_id="reservations_cancel",
        description="Sets its status to cancelled (through the same save as the admin), so "
        "its Outlook events are cancelled too. Cancelling a cancelled reservation changes "
        "nothing; a completed or closed one can no longer be cancelled (409).",
        request=None,
        responses={200: CancelResultSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        reservation = self.get_object()
        if reservation.status == ReservationStatus.CANCELLED:
            message = f"{reservation} was already cancelled."
        elif not reservation.can_be_cancelled:
            raise Conflict(no_longer_cancellable(reservation))
        else:
            reservation.status = ReservationStatus.CANCELLED
            reservation.save()
            message = f"Cancelled {reservation}."
        result = {"message": message, "reservation": self.get_object()}
        return Response(CancelResultSerializer(result, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Cancel this occurrence and the following ones",
        operation_id="reservations_cancel_following",
        description="As Outlook does it: the series ends the day before this occurrence; "
        "this one and the later ones are cancelled (a series of their own). Occurrences "
        "already over stay as they are.",
        request=None,
        responses={200: EditedSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="cancel-following")
    def cancel_following(self, request: Request, pk: str | None = None) -> Response:
        return edit_response(series_edits.cancel_following, self.get_object())

    @extend_schema(
        summary="Change this occurrence and the following ones",
        operation_id="reservations_change_following",
        description="As Outlook does it: the series is split at this occurrence's day; the "
        "occurrences from then on become a series of their own, changed as asked. (To change "
        "only this occurrence, update it; to change all, use the series' change.)",
        request=SeriesChangeSerializer,
        responses={200: EditedSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-following")
    def change_following(self, request: Request, pk: str | None = None) -> Response:
        reservation = self.get_object()
        body = SeriesChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return edit_response(series_edits.change_following, reservation, body.changes())
