"""The API audit log's writes: every request by an API client that may change something."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from api import clients
from api.models import ApiAuditEntry

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AuditClientWrites:
    """Middleware: after the response, one entry for each POST, PUT, PATCH or DELETE that an
    API client's token signed (refused or not: the status says which)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        client = getattr(request, "api_client", None)  # set by api.authentication
        if client is not None and request.method not in SAFE_METHODS:
            clients.audit_request(
                request,
                ApiAuditEntry.Kind.WRITE,
                client=client,
                status=response.status_code,
                detail=_outcome(response),
            )
        return response


def _outcome(response: HttpResponse) -> str:
    """What the write made or changed (its id), or why it was refused (the error's message),
    when the answer says."""
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        return ""
    if "id" in data:
        return f"id {data['id']}"
    error = data.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return ""
