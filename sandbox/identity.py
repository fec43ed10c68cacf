"""Microsoft identity platform stand-in: OpenID discovery and the client-credentials token."""

from __future__ import annotations

from typing import Any

from sandbox.web import Request, Response, Router

router = Router()
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def oauth_error(status: int, error: str, description: str, codes: list[int]) -> Response:
    """Entra ID's error body."""
    return Response.json(
        status,
        {
            "error": error,
            "error_description": description,
            "error_codes": codes,
            "timestamp": "",
            "trace_id": "",
            "correlation_id": "",
        },
    )


def unknown_tenant(tenant: str) -> Response:
    return oauth_error(
        400,
        "invalid_tenant",
        f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud.",
        [90002],
    )


@router.route("GET", "/{tenant}/v2.0/.well-known/openid-configuration")
def openid_configuration(app: Any, request: Request) -> Response:
    tenant = request.params["tenant"]
    with app.state.lock:
        if not app.state.knows_tenant(tenant):
            return unknown_tenant(tenant)
    base = f"{app.origin(request)}/{tenant}"
    return Response.json(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU",
        },
    )


@router.route("POST", "/{tenant}/oauth2/v2.0/token")
def token(app: Any, request: Request) -> Response:
    tenant = request.params["tenant"]
    form = request.form()
    if form.get("grant_type") != "client_credentials":
        return oauth_error(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
            [70003],
        )
    if form.get("scope") != GRAPH_SCOPE:
        return oauth_error(
            400,
            "invalid_scope",
            f"AADSTS1002012: The provided value for scope {form.get('scope')} is not valid. "
            f"Client credential flows must have a scope value with /.default suffixed.",
            [1002012],
        )
    client_id = form.get("client_id", "")
    with app.state.lock:
        if not app.state.knows_tenant(tenant):
            return unknown_tenant(tenant)
        registration = app.state.apps.get((tenant, client_id))
        if registration is None:
            return oauth_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{tenant}'.",
                [700016],
            )
        if form.get("client_secret") != registration.client_secret:
            return oauth_error(
                400,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                "the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{client_id}'.",
                [7000215],
            )
        access_token, lifetime = app.state.issue_token(registration)
    return Response.json(
        200,
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        },
    )
