"""What inbound sync keeps: which connections must be synced down."""

from __future__ import annotations

from django.db import models

from common.work_queue import QueuedWork
from syncconnections.models.connections import SyncConnection


class SyncRequest(QueuedWork):
    """A connection whose calendar must be read (delta) because something changed there.

    Notifications are coalesced into it: however many arrive, a connection has at most one
    pending request; one that arrives while the sync runs bumps the version, so the sync runs
    once more afterwards."""

    sync_connection = models.OneToOneField(
        SyncConnection, on_delete=models.CASCADE, related_name="sync_request"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=50, default="notification")

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="syncrequest_queue")]

    def __str__(self) -> str:
        return f"Sync down {self.sync_connection} ({self.reason})"


class SubscriptionRequest(QueuedWork):
    """A connection to subscribe (just activated with live sync): made with others' in
    `$batch` calls by subscriptions.subscribe_pending, whichever path asked for it."""

    sync_connection = models.OneToOneField(
        SyncConnection, on_delete=models.CASCADE, related_name="subscription_request"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="subscriptionrequest_queue")]

    def __str__(self) -> str:
        return f"Subscribe {self.sync_connection}"


class IgnoredNotification(models.Model):
    """How many notifications were ignored, by reason (unknown subscription, wrong
    clientState), and the last one's details: counted here, logged, never synced."""

    reason = models.CharField(max_length=50, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    last_subscription_id = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.reason}: {self.count}"
