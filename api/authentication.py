"""Signing in to the API with an API client's bearer token (docs/api.md)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api import clients
from api.models import ApiAuditEntry, ApiClient
from common.middleware import client_address


class BearerAuthentication(OAuth2Authentication):
    """`Authorization: Bearer <token>` from POST /api/oauth/token/. A token that is wrong,
    expired or revoked, or whose client is inactive or calls from an address it may not,
    is a 401 saying which; any other header is left to the next way of signing in."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        scheme, *_ = get_authorization_header(request).split(b" ", 1)
        if scheme.lower() != b"bearer":
            return None
        result = super().authenticate(request)
        if result is None:
            error = getattr(request, "oauth2_error", {}) or {}
            raise AuthenticationFailed(
                str(error.get("error_description") or "The access token is invalid.")
            )
        user, token = result
        client = ApiClient.objects.filter(application_id=token.application_id).first()
        address = client_address(request._request)
        reason = clients.refusal(client, address)
        if reason:
            clients.audit_request(
                request._request,
                ApiAuditEntry.Kind.REFUSED,
                client=client,
                status=401,
                detail=f"Token refused: {reason}.",
            )
            raise AuthenticationFailed(f"The access token is refused: {reason}.")
        assert client is not None
        clients.touch(client)
        # For the audit of its writes (api.audit.AuditClientWrites), after the response.
        request._request.api_client = client  # type: ignore[attr-defined]
        return user, token
