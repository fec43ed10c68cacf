"""Reservation series: read them, and book one from its pattern (Graph's patternedRecurrence,
the form it is stored in and sent to Outlook in). Its occurrences are generated and booked at
once (bookings/series.py, as the admin's form does); they are listed by
`GET /api/reservations/?series=<id>`."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, ErrorSerializer
from bookings.models import ReservationSeries, ReservationStatus
from bookings.overlaps import occupied_message
from bookings.recurrence import RecurrenceError, in_words
from bookings.series import BOOKABLE_STATUSES, SeriesClashes, book_series, max_occurrences
from bookings.series_edits import Changes, Edited, NotAnOccurrence, change_all


class SeriesSerializer(serializers.ModelSerializer):
    occurrence_count = serializers.IntegerField(read_only=True, source="_occurrences")

    class Meta:
        model = ReservationSeries
        fields = (
            "id",
            "uuid",
            "title",
            "resource",
            "staff",
            "account",
            "status",
            "direction",
            "recurrence",
            "occurrences_complete",
            "occurrence_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class BookSeriesSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=BOOKABLE_STATUSES,
        default=ReservationStatus.CONFIRMED,
        help_text="Of every occurrence.",
    )
    start_time = serializers.TimeField(help_text="Each occurrence's start, in the room's zone.")
    end_time = serializers.TimeField(help_text="Its end (at or before the start: the next day).")
    recurrence = serializers.JSONField(
        help_text='Microsoft Graph\'s patternedRecurrence: {"pattern": {"type": "weekly", '
        '"interval": 1, "daysOfWeek": ["tuesday"]}, "range": {"type": "endDate", '
        '"startDate": "2027-01-12", "endDate": "2027-03-30"}}. Pattern types: daily, weekly, '
        "absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly; ranges: endDate, "
        "numbered, noEnd (booked up to the maximum)."
    )
    skip_conflicts = serializers.BooleanField(
        default=False,
        help_text="Leave out the occurrences that clash with other reservations of the room "
        "(else the booking is refused with a 409 listing them).",
    )

    class Meta:
        model = ReservationSeries
        fields = (
            "title",
            "resource",
            "staff",
            "account",
            "status",
            "start_time",
            "end_time",
            "recurrence",
            "skip_conflicts",
        )

    def validate_recurrence(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError('It is {"pattern": …, "range": …}.')
        return value


class BookedSerializer(serializers.Serializer):
    series = SeriesSerializer()
    pattern_in_words = serializers.CharField()
    skipped = serializers.ListField(
        child=serializers.DateTimeField(), help_text="Starts of the occurrences left out."
    )


class SeriesChangeSerializer(serializers.Serializer):
    """A change of several occurrences at once; what is left out stays as it is."""

    title = serializers.CharField(max_length=255, required=False)
    start_time = serializers.TimeField(
        required=False, help_text="Each occurrence's new start, in the room's zone."
    )
    end_time = serializers.TimeField(required=False, help_text="Its new end.")
    recurrence = serializers.JSONField(
        required=False,
        help_text="A new pattern (Graph's patternedRecurrence); the occurrences are generated "
        "anew. Occurrences changed or cancelled on their own stay as they are where their "
        "day still falls; those whose day no longer falls are cancelled.",
    )
    skip_conflicts = serializers.BooleanField(
        default=False,
        help_text="Leave out (cancel) the occurrences that would clash with other "
        "reservations of the room (else the change is refused with a 409 listing them).",
    )

    def validate_recurrence(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError('It is {"pattern": …, "range": …}.')
        return value

    def changes(self) -> Changes:
        data = self.validated_data
        return Changes(
            title=data.get("title"),
            starts_at=data.get("start_time"),
            ends_at=data.get("end_time"),
            recurrence=data.get("recurrence"),
            skip_clashes=data["skip_conflicts"],
        )


class EditedSerializer(serializers.Serializer):
    series = SeriesSerializer(help_text="The series that holds the changed occurrences.")
    changed = serializers.ListField(child=serializers.IntegerField())
    created = serializers.ListField(child=serializers.IntegerField())
    cancelled = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(
        child=serializers.DateTimeField(), help_text="Starts of the occurrences left out."
    )


def edit_response(run: Any, *args: Any) -> Response:
    """Do a series edit; its result, or the API's error for why it could not be done."""
    try:
        edited: Edited = run(*args)
    except NotAnOccurrence as exc:
        raise (
            PermissionDenied(str(exc))
            if "Outlook" in str(exc)
            else serializers.ValidationError({"non_field_errors": [str(exc)]})
        ) from exc
    except RecurrenceError as exc:
        raise serializers.ValidationError({"recurrence": [str(exc)]}) from exc
    except SeriesClashes as exc:
        raise Conflict(
            f"{len(exc.clashes)} occurrence(s) would clash: {exc.messages[0]}",
            {"clashes": [_clash(o, holder) for o, holder in exc.clashes]},
        ) from exc
    series = ReservationSeries.objects.annotate(_occurrences=Count("occurrences")).get(
        pk=edited.series.pk
    )
    result = {
        "series": series,
        "changed": [r.pk for r in edited.changed],
        "created": [r.pk for r in edited.created],
        "cancelled": [r.pk for r in edited.cancelled],
        "skipped": [o.start for o, _ in edited.skipped],
    }
    return Response(EditedSerializer(result).data)


@extend_schema_view(
    list=extend_schema(summary="List reservation series"),
    retrieve=extend_schema(summary="Read a reservation series"),
)
class ReservationSeriesViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Recurring reservations; their occurrences are reservations (`?series=<id>`)."""

    serializer_class = SeriesSerializer
    action_permissions = {"change": ["bookings.change_reservation"]}

    def get_queryset(self) -> QuerySet[ReservationSeries]:
        return ReservationSeries.objects.annotate(_occurrences=Count("occurrences")).order_by("pk")

    @extend_schema(
        summary="Book a series from its pattern",
        description="Generates the occurrences (at most the maximum of 180), books them at "
        "once and sends the series to Outlook as one recurring event. Occurrences that clash "
        "with other reservations of the room refuse the booking (409, "
        "`details.clashes`) unless `skip_conflicts`.",
        request=BookSeriesSerializer,
        responses={201: BookedSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BookSeriesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        series = ReservationSeries(
            title=data["title"],
            resource=data["resource"],
            staff=data.get("staff"),
            account=data.get("account"),
            status=data["status"],
            recurrence=data["recurrence"],
        )
        try:
            booked = book_series(
                series,
                data["start_time"],
                data["end_time"],
                max_occurrences(data["resource"], data.get("staff")),
                data["skip_conflicts"],
            )
        except RecurrenceError as exc:  # found before anything is written
            raise serializers.ValidationError({"recurrence": [str(exc)]}) from exc
        except SeriesClashes as exc:
            raise Conflict(
                f"{len(exc.clashes)} occurrence(s) clash: {exc.messages[0]}",
                {"clashes": [_clash(o, holder) for o, holder in exc.clashes]},
            ) from exc
        series = self.get_queryset().get(pk=booked.series.pk)
        result = {
            "series": series,
            "pattern_in_words": in_words(
                series.recurrence, data["start_time"], data["end_time"], len(booked.occurrences)
            ),
            "skipped": [o.start for o, _ in booked.skipped],
        }
        return Response(BookedSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change all occurrences of a series",
        operation_id="reservation_series_change",
        description="New title, times or pattern for every occurrence; the occurrences are "
        "regenerated, and the series' recurring event in Outlook is updated. A series made "
        "in Outlook is changed only there (403).",
        request=SeriesChangeSerializer,
        responses={200: EditedSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def change(self, request: Request, pk: str | None = None) -> Response:
        series = self.get_object()
        body = SeriesChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return edit_response(change_all, series, body.changes())


def _clash(occurrence: Any, holder: Any) -> dict[str, Any]:
    return {
        "start": occurrence.start.isoformat(),
        "end": occurrence.end.isoformat(),
        "message": occupied_message(holder),
        "conflicting_reservation": holder.pk,
    }
