"""The API's recurring jobs (django-q2 task functions) and their schedules."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from common.task_queue import Recurring


def purge_api_audit() -> int:
    """Delete the API audit entries older than API_AUDIT_KEPT_DAYS, and the tokens that have
    expired (a client gets a new one each hour); how many audit entries."""
    from oauth2_provider.models import AccessToken

    from api.models import ApiAuditEntry

    now = timezone.now()
    AccessToken.objects.filter(expires__lt=now).delete()
    before = now - dt.timedelta(days=settings.API_AUDIT_KEPT_DAYS)
    deleted, _ = ApiAuditEntry.objects.filter(at__lt=before).delete()
    return deleted


SCHEDULES = [
    Recurring(
        "Purge old API audit entries and expired tokens", purge_api_audit, daily_at=dt.time(3, 40)
    ),
]
