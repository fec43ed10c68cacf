"""Every API error in one shape:

    {"error": {"status": 400, "message": "end: The end must be after the start.",
               "field": "end", "details": {"end": ["The end must be after the start."]}}}

`field` names the (first) input at fault, or is null; `details` holds every validation
message by field, or what else explains the error (e.g. the changes behind a 409).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from bookings.overlaps import RoomDoubleBooked

logger = logging.getLogger("api")

NOT_FOUND = "not-found"  # the URL name of the catch-all


class Conflict(exceptions.APIException):
    """The request is understood but cannot be done in the object's present state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the present state."
    default_code = "conflict"

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


def double_booked(exc: RoomDoubleBooked) -> Conflict:
    """409, naming the reservation in the way (details.conflicting_reservation)."""
    blocking = exc.blocking
    details = {}
    if blocking is not None:
        details["conflicting_reservation"] = {
            "id": blocking.pk,
            "title": blocking.title,
            "resource": blocking.resource_id,
            "start": blocking.start.isoformat(),
            "end": blocking.end.isoformat(),
            "url": f"/api/reservations/{blocking.pk}/",
        }
    return Conflict(exc.message, details)


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    message = serializers.CharField(
        help_text="What went wrong, for a person; a validation message starts with the field."
    )
    field = serializers.CharField(
        allow_null=True, help_text="The input at fault (dotted for nested ones), or null."
    )
    details = serializers.DictField(
        help_text="Every validation message by field, or what else explains the error."
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = ErrorBodySerializer()


def error_body(
    status_code: int,
    message: str,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "error": {
            "status": status_code,
            "message": message,
            "field": field,
            "details": dict(details or {}),
        }
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: any exception of a view becomes an error in the one shape."""
    exc = _as_api_exception(exc)
    if exc is None:
        view = context.get("view")
        logger.exception("Unexpected error in %s", type(view).__name__ if view else "the API")
        set_rollback()
        return Response(
            error_body(500, "Internal server error: it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate, Retry-After
    response.data = _body_of(exc)
    return response


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    # Django's own limits on what a request may hold (fields, parameters, body size).
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError(f"The request was refused: {exc}")
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RoomDoubleBooked):  # booked in the room since the check
        return double_booked(exc)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_detail(exc))
    if isinstance(exc, IntegrityError):
        # A check done before saving can still lose a race with another request.
        return Conflict("This conflicts with a change made at the same time; try again.")
    return None


def validation_detail(exc: DjangoValidationError) -> Any:
    """A Django ValidationError as DRF reports it, NON_FIELD_ERRORS under DRF's key."""
    detail = serializers.as_serializer_error(exc)
    if "__all__" in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
    return detail


def _body_of(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        messages = flatten(exc.detail)
        field, first = next(iter(messages.items()), (None, ["Invalid input."]))
        if field == api_settings.NON_FIELD_ERRORS_KEY:
            field = None
        message = f"{field}: {first[0]}" if field else str(first[0])
        return error_body(exc.status_code, message, field, messages)
    details: dict[str, Any] = dict(getattr(exc, "details", {}))
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["retry_after"] = round(exc.wait)
    return error_body(exc.status_code, _text(exc.detail), None, details)


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Validation messages by dotted field path ("services.0.quantity")."""
    if isinstance(detail, Mapping):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            found.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        found = {}
        for index, item in enumerate(detail):
            found.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return found
    texts = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: texts} if texts else {}


def _text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_text(item) for item in detail)
    if isinstance(detail, Mapping):
        return " ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    return str(detail)


@csrf_exempt  # answers every method with a 404, a POST without a CSRF token too
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ URL that is no endpoint."""
    message = f"There is no API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            resolved = resolve(request.path + "/")
        except Resolver404:
            resolved = None
        if resolved is not None and resolved.url_name != NOT_FOUND:
            message += f" Did you mean {request.path}/ (with a slash at the end)?"
    return JsonResponse(error_body(404, message), status=404)
