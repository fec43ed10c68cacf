"""The token endpoint (POST /api/oauth/token/, RFC 6749 4.4 client credentials) and the
revocation endpoint (POST /api/oauth/revoke/, RFC 7009), by django-oauth-toolkit with our
API clients: only they get tokens, checked against their secret (or the previous one while
a rotation's grace lasts), their active flag and their allowed addresses; a token acts as the
client's own user; refusals go to the API audit log; requests per address are limited."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views
from oauth2_provider.models import Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthRequest

from api import clients
from api.models import ApiAuditEntry, ApiClient
from api.throttling import TokenRequestThrottle
from common.middleware import address_in


class Validator(OAuth2Validator):
    """OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]."""

    def authenticate_client(self, request: OAuthRequest, *args: Any, **kwargs: Any) -> bool:
        given = self._given_credentials(request)
        if given is None:
            return False  # invalid_client; nothing to name in the audit
        client_id, secret = given
        application = self._load_application(client_id, request)
        client = _client_of(application)
        address = address_in(request.headers)
        reason = clients.refusal(client, address)
        if not reason and client is not None and not clients.secret_matches(client, secret):
            reason = "wrong secret"
        if reason:
            request.client = None
            clients.audit(
                ApiAuditEntry.Kind.REFUSED,
                client=client,
                name=client.name if client else client_id,
                address=address,
                method=request.http_method or "",
                path=urlsplit(request.uri).path,
                status=401,
                detail=f"Token refused: {reason}.",
            )
            return False
        assert client is not None
        clients.touch(client)
        return True

    def _given_credentials(self, request: OAuthRequest) -> tuple[str, str] | None:
        # HTTP Basic first, as RFC 6749 2.3.1 prefers; else the form's fields.
        basic = clients.basic_credentials(request.headers.get("HTTP_AUTHORIZATION", ""))
        if basic:
            return basic
        client_id = getattr(request, "client_id", None)
        secret = getattr(request, "client_secret", None)
        if client_id and secret:
            return client_id, secret
        return None

    def _create_access_token(self, expires: Any, request: OAuthRequest, token: Any, **kw: Any):
        # A client-credentials token has no user in OAuth; ours acts as the client's own user,
        # whose role the API's permissions check.
        client = _client_of(request.client)
        assert client is not None
        request.user = client.user
        return super()._create_access_token(expires, request, token, **kw)


def _client_of(application: Application | None) -> ApiClient | None:
    if application is None:
        return None
    try:
        return application.api_client
    except ApiClient.DoesNotExist:
        return None


def _too_many(throttle: TokenRequestThrottle) -> HttpResponse:
    wait = max(1, math.ceil(throttle.wait() or 1))
    response = JsonResponse(
        {
            "error": "too_many_requests",
            "error_description": f"Too many token requests from this address; "
            f"try again in {wait} seconds.",
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


class LimitedMixin:
    """Limited per address, never cached, exempt from CSRF (no cookie signs these requests:
    the client authenticates itself), and a JSON answer to a method other than POST."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = TokenRequestThrottle()
        if request.method == "POST" and not throttle.allow_request(request, self):
            return _too_many(throttle)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = JsonResponse(
            {"error": "invalid_request", "error_description": "Use POST, with a form body."},
            status=405,
        )
        response["Allow"] = "POST"
        return response


EXEMPT = [csrf_exempt, never_cache]


@method_decorator(EXEMPT, name="dispatch")
class TokenView(LimitedMixin, views.TokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        grant_type = request.POST.get("grant_type")
        if grant_type != GRANT_TYPE:
            # Only client credentials here: any other grant is unsupported, whatever else
            # the request carries (RFC 6749 5.2).
            error = "unsupported_grant_type" if grant_type else "invalid_request"
            return _error(error, 400, "grant_type is missing." if not grant_type else "")
        response = super().post(request, *args, **kwargs)
        if response.status_code == 401:
            # RFC 6749 5.2: the challenge names the scheme clients authenticate with.
            response["WWW-Authenticate"] = 'Basic realm="api"'
        return _described(response)


@method_decorator(EXEMPT, name="dispatch")
class RevokeTokenView(LimitedMixin, views.RevokeTokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _described(super().post(request, *args, **kwargs))


GRANT_TYPE = "client_credentials"


def _error(error: str, status: int, description: str = "") -> HttpResponse:
    body = {"error": error, "error_description": description or ERROR_DESCRIPTIONS[error]}
    return JsonResponse(body, status=status)


ERROR_DESCRIPTIONS = {
    "invalid_client": "The client id or secret is wrong, or the client may not sign in "
    "(inactive, or not from this address).",
    "unsupported_grant_type": "This endpoint issues tokens for grant_type=client_credentials only.",
    "invalid_request": "The request is missing a parameter or is malformed.",
    "unauthorized_client": "This client may not use that grant type.",
    "invalid_scope": "The scope asked for is unknown.",
}


def _described(response: HttpResponse) -> HttpResponse:
    """RFC 6749 5.2 errors with an error_description a person can act on."""
    if response.status_code < 400 or response.get("Content-Type", "").split(";")[0] != (
        "application/json"
    ):
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(body, dict) and body.get("error") in ERROR_DESCRIPTIONS:
        body.setdefault("error_description", ERROR_DESCRIPTIONS[body["error"]])
        response.content = json.dumps(body).encode()
    return response
