from django.db import models
from django.db.models import Q


class Operation(models.TextChoices):
    """The operation that was being processed when the error occurred."""

    CONNECTION_SETUP = "connection_setup", "Connection Setup"
    SUBSCRIPTION_REFRESH = "subscription_refresh", "Subscription Refresh"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SYNC_DOWN = "sync_down", "Sync Down"


class SyncError(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    sync_connection = models.ForeignKey(
        "syncconnections.SyncConnection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_errors",
        help_text="The connection this error occurred for. This field can be empty if the "
        "correct connection could not be determined.",
    )
    reservation = models.ForeignKey(
        "bookings.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_errors",
    )
    operation = models.CharField(
        max_length=30,
        choices=Operation.choices,
        help_text="The operation that was being processed when this error occurred.",
    )
    stage = models.CharField(
        max_length=100,
        blank=True,
        help_text="The stage of the operation the error occurred in. Many operations require "
        "multiple requests to the Microsoft Graph API; the stage indicates the request that "
        "failed.",
    )
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The status code of the failed request if relevant."
    )
    error_message = models.TextField(help_text="More detail of what caused the error.")
    request_id = models.CharField(
        "request id",
        max_length=100,
        blank=True,
        help_text="Microsoft Graph's request-id, for Microsoft support.",
    )
    retry_count = models.PositiveIntegerField(default=0)
    last_retried_at = models.DateTimeField(null=True, blank=True)
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failure notification digest included it."
    )

    class Meta:
        verbose_name = "sync error"
        permissions = [("retry_syncerror", "Can retry the operation of a sync error")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved=False, resolved_at__isnull=True)
                | Q(resolved=True, resolved_at__isnull=False),
                name="syncerror_resolved_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="syncerror_created"),
            models.Index(fields=["operation", "-created_at"], name="syncerror_operation"),
            models.Index(fields=["sync_connection", "-created_at"], name="syncerror_connection"),
            models.Index(fields=["resolved", "-created_at"], name="syncerror_resolved"),
            models.Index(fields=["status_code", "-created_at"], name="syncerror_status"),
            models.Index(fields=["request_id"], name="syncerror_request_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} failed: {self.stage or 'unknown stage'}"
