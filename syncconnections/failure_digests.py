"""Failure notifications: a digest of new sync errors to each tenant's addresses, at most one
per tenant per quarter of an hour."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from errors.models import SyncError
from syncconnections.models import Tenant

DIGEST_INTERVAL = dt.timedelta(minutes=15)
MAX_LISTED = 100


def send_failure_digests() -> int:
    """Send the digests that are due; the number of mails sent. Safe to run any time."""
    now = timezone.now()
    sent = 0
    for tenant in Tenant.objects.exclude(failure_notification_emails=""):
        new = SyncError.objects.filter(sync_connection__tenant=tenant, notified_at__isnull=True)
        if not new.exists():
            continue
        # Claim this quarter hour for the tenant: a second worker finds it taken.
        claimed = (
            Tenant.objects.filter(pk=tenant.pk)
            .filter(
                Q(last_failure_digest_at__isnull=True)
                | Q(last_failure_digest_at__lte=now - DIGEST_INTERVAL)
            )
            .update(last_failure_digest_at=now)
        )
        if not claimed:
            continue
        listed = list(
            new.select_related("sync_connection", "reservation").order_by("created_at")[:MAX_LISTED]
        )
        total = new.count()
        send_mail(
            subject=f"Bookbridge: {total} new sync error{'s' if total != 1 else ''} for {tenant}",
            message=digest_text(tenant, listed, total),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=tenant.failure_notification_list,
        )
        SyncError.objects.filter(pk__in=[e.pk for e in listed]).update(notified_at=now)
        sent += 1
    return sent


def digest_text(tenant: Tenant, listed: list[SyncError], total: int) -> str:
    lines = [f"New synchronisation errors for {tenant}:", ""]
    for error in listed:
        link = settings.PUBLIC_BASE_URL + reverse("admin:errors_syncerror_change", args=[error.pk])
        status = f" {error.status_code}" if error.status_code else ""
        lines += [
            f"- {timezone.localtime(error.created_at):%Y-%m-%d %H:%M} "
            f"{error.get_operation_display()} / {error.stage}{status}: {error.error_message}",
            f"  {error.sync_connection or 'connection unknown'}"
            + (f", reservation {error.reservation}" if error.reservation else ""),
            f"  {link}",
        ]
    if total > len(listed):
        lines += ["", f"… and {total - len(listed)} more; they follow in the next digest."]
    return "\n".join(lines) + "\n"
