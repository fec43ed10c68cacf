"""The OpenAPI schema: drf-spectacular's, with the error responses every operation can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from api.errors import ErrorSerializer

ERRORS = {
    "400": "Invalid input; `field` names the input at fault.",
    "401": "No valid token or session: send `Authorization: Bearer <token>` (an API "
    "client's, from /api/oauth/token/) or sign in; the message says what was wrong.",
    "403": "Signed in, but without the permission this needs (the message names it).",
    "404": "No such object, page or cursor.",
    "415": "The body is not JSON (or a form), or could not be read as such.",
    "429": "Too many requests; `Retry-After` says how many seconds to wait.",
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                described = OpenApiResponse(ErrorSerializer, description=ERRORS[code])
                responses[code] = self._get_response_for_code(described, code, direction=direction)
        return responses

    def _error_codes(self) -> list[str]:
        is_list = self.method == "GET" and self._is_list_view()
        has_body = self.method in ("POST", "PUT", "PATCH") and bool(self.get_request_serializer())
        takes_input = is_list or has_body
        names_an_object = "{" in self.path
        return [
            *(["400"] if takes_input else []),
            "401",
            "403",
            *(["404"] if names_an_object or is_list else []),
            *(["415"] if has_body else []),
            "429",
        ]


class BearerScheme(OpenApiAuthenticationExtension):
    """API clients' bearer tokens, declared as OAuth2 client credentials with the token URL."""

    target_class = "api.authentication.BearerAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": "An API client's token: POST its client id and secret to the "
            "token URL (grant_type=client_credentials), then send "
            "`Authorization: Bearer <access_token>`. See docs/api.md.",
            "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token/", "scopes": {}}},
        }
