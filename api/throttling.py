"""The API's request limits: one rate per user for the whole API (settings.API_RATE_LIMIT),
and one per address for the token endpoints (settings.API_TOKEN_RATE_LIMIT); None for none."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling

from common.middleware import client_address


class UserRateThrottle(throttling.UserRateThrottle):
    # Its own cache, so that counting requests never evicts or clears anything else.
    cache = caches["api"]

    def get_rate(self) -> str | None:
        # Read per request rather than once at import, so a changed setting applies.
        return settings.API_RATE_LIMIT


class TokenRequestThrottle(throttling.SimpleRateThrottle):
    """Token requests per address: each one checks a secret hashed to be slow to guess, so
    unlimited requests would be both a guessing run and a load."""

    cache = caches["api"]
    scope = "oauth_token"

    def get_rate(self) -> str | None:
        return settings.API_TOKEN_RATE_LIMIT

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
