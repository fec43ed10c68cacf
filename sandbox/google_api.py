"""Google stand-ins on the sandbox's origin: the OAuth 2.0 token endpoint for service
accounts (a signed JWT, RFC 7523, with domain-wide delegation) at /token, and the Admin SDK
Directory API's calendar resources at /admin/directory/v1/…. Written from Google's
documentation: developers.google.com/identity/protocols/oauth2/service-account and
developers.google.com/admin-sdk/directory/reference/rest/v1/resources.calendars."""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from sandbox.google_state import (
    DIRECTORY_RESOURCE_READONLY_SCOPE,
    DIRECTORY_RESOURCE_SCOPE,
    GOOGLE_TOKEN_AUDIENCE,
    TOKEN_LIFETIME,
)
from sandbox.web import HttpError, Request, Response, Router

router = Router()
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_TOKEN_LIFETIME = 3600  # exp - iat, seconds
CLOCK_SKEW = 300
DIRECTORY_SCOPES = {DIRECTORY_RESOURCE_SCOPE, DIRECTORY_RESOURCE_READONLY_SCOPE}
MAX_RESOURCES_PAGE = 500


def token_error(status: int, error: str, description: str) -> Response:
    return Response.json(status, {"error": error, "error_description": description})


def api_error(status: int, reason: str, message: str, domain: str = "global") -> Response:
    """Google APIs' error body."""
    return Response.json(
        status,
        {
            "error": {
                "errors": [{"domain": domain, "reason": reason, "message": message}],
                "code": status,
                "message": message,
            }
        },
    )


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- the token endpoint ------------------------------------------------------------------------


@router.route("POST", "/token")
def token(app: Any, request: Request) -> Response:
    form = request.form()
    if form.get("grant_type") != JWT_BEARER:
        return token_error(
            400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", "")
        )
    assertion = form.get("assertion", "")
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_b64(header_b64))
        claims = json.loads(_b64(payload_b64))
        signature = _b64(signature_b64)
    except (ValueError, binascii.Error):
        return token_error(400, "invalid_request", "Invalid JWT: not a signed JWT.")
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        return token_error(400, "invalid_request", "Invalid JWT: RS256 signed JWT expected.")
    state = app.state.google
    with app.state.lock:
        account = state.service_accounts.get(str(claims.get("iss", "")))
    if account is None:
        return token_error(400, "invalid_grant", "Invalid grant: account not found")
    public_key = serialization.load_pem_public_key(account.public_key_pem)
    try:
        public_key.verify(  # type: ignore[union-attr,call-arg]
            signature,
            f"{header_b64}.{payload_b64}".encode(),
            padding.PKCS1v15(),  # type: ignore[arg-type]
            hashes.SHA256(),  # type: ignore[arg-type]
        )
    except InvalidSignature:
        return token_error(400, "invalid_grant", "Invalid JWT Signature.")
    # google-auth always names Google's token URL as the audience, wherever it posts.
    if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
        return token_error(400, "invalid_grant", "Invalid JWT: audience is not the token URL.")
    issued, expires, now = claims.get("iat"), claims.get("exp"), time.time()
    if (
        not isinstance(issued, int | float)
        or not isinstance(expires, int | float)
        or expires - issued > MAX_TOKEN_LIFETIME
        or issued > now + CLOCK_SKEW
        or expires < now - CLOCK_SKEW
    ):
        return token_error(
            400,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
            "timeframe. Check your iat and exp values in the JWT claim.",
        )
    scopes = frozenset(str(claims.get("scope", "")).split())
    if not scopes:
        return token_error(400, "invalid_scope", "Empty or missing scope not allowed.")
    subject = str(claims.get("sub", "")).lower()
    with app.state.lock:
        if subject and subject not in state.users:
            return token_error(400, "invalid_grant", "Invalid email or User ID")
        if subject and not scopes <= account.delegated_scopes:
            return token_error(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
            )
        access_token = state.issue_token(subject or account.email, scopes)
    return Response.json(
        200,
        {
            "access_token": access_token,
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "token_type": "Bearer",
        },
    )


def authorized(app: Any, request: Request, needs: set[str]) -> str:
    """The user a request acts as, given one of the `needs` scopes; else the 401 or 403."""
    scheme, _, value = request.header("Authorization").partition(" ")
    with app.state.lock:
        held = app.state.google.tokens.get(value) if scheme.lower() == "bearer" else None
    if held is None or held.expires.timestamp() < time.time():
        raise HttpError(
            api_error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        )
    if not needs & held.scopes:
        raise HttpError(
            api_error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        )
    return held.subject


# --- Admin SDK Directory: calendar resources ----------------------------------------------------


@router.route("GET", "/admin/directory/v1/customer/{customer}/resources/calendars")
def calendar_resources(app: Any, request: Request) -> Response:
    subject = authorized(app, request, DIRECTORY_SCOPES)
    state = app.state.google
    with app.state.lock:
        is_admin = state.users.get(subject, False)
        customer_ok = request.params["customer"] in ("my_customer", state.customer)
        resources = sorted(state.resources.values(), key=lambda r: r["resourceId"])
    if not is_admin:
        return api_error(403, "forbidden", "Not Authorized to access this resource/api")
    if not customer_ok:
        return api_error(400, "badRequest", "Bad Request")
    try:
        size = int(request.query.get("maxResults", "100"))
        start = int(request.query.get("pageToken") or 0)
    except ValueError:
        return api_error(400, "invalid", "Invalid value for maxResults or pageToken")
    if not 1 <= size <= MAX_RESOURCES_PAGE:
        return api_error(
            400, "invalid", f"Invalid value '{size}'. Values must be within the range: [1, 500]"
        )
    page = resources[start : start + size]
    body: dict[str, Any] = {
        "kind": "admin#directory#resources#calendars#calendarResourcesList",
        "etag": '"sandbox"',
        "items": page,
    }
    if start + size < len(resources):
        body["nextPageToken"] = str(start + size)
    return Response.json(200, body)
