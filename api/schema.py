"""The OpenAPI schema: drf-spectacular's, with the error responses every operation can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from api.errors import ErrorSerializer

ERRORS = {
    "400": "Invalid input; `field` names the input at fault.",
    "401": "No valid token or session: sign in or send `Authorization: Token <key>`.",
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
