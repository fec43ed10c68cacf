"""One request rate per user for the whole API (settings.API_RATE_LIMIT, None for none)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    # Its own cache, so that counting requests never evicts or clears anything else.
    cache = caches["api"]

    def get_rate(self) -> str | None:
        # Read per request rather than once at import, so a changed setting applies.
        return settings.API_RATE_LIMIT
