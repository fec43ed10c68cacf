from django.db import models

from syncconnections.models.connections import SyncConnection


class LogOperation(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    CANCELLED = "cancelled", "Cancelled"
    DELETED = "deleted", "Deleted"


class CompanyLogEntry(models.Model):
    """One inbound Microsoft 365 entry, with the original Outlook data."""

    created_at = models.DateTimeField(auto_now_add=True)
    sync_connection = models.ForeignKey(
        SyncConnection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
        db_index=False,  # companylog_connection starts with it
    )
    reservation = models.ForeignKey(
        "bookings.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
    )
    operation = models.CharField(max_length=20, choices=LogOperation.choices)
    mailbox = models.EmailField(max_length=320, help_text="The mailbox the entry came from.")
    organizer_email = models.EmailField("organizer e-mail", max_length=320, blank=True)
    attendee_emails = models.TextField(
        "attendee e-mails", blank=True, help_text="Comma-separated, lower case."
    )
    subject = models.CharField(max_length=500, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    event_id = models.CharField("Outlook event id", max_length=255, blank=True)
    outlook_data = models.JSONField(
        "original Outlook data", default=dict, blank=True, help_text="The event as Graph sent it."
    )

    class Meta:
        verbose_name = "company log entry"
        verbose_name_plural = "company log"
        # Each admin filter with the list's order, the event id for its exact search and for
        # inbound sync's look-up of logged versions. Inbound sync writes this table in bulk, so
        # nothing else: searches use the trigram indexes of migration 0002 and the full-text
        # index of migration 0005, both PostgreSQL only (docs/company-log.md).
        indexes = [
            models.Index(fields=["-created_at"], name="companylog_created"),
            models.Index(fields=["operation", "-created_at"], name="companylog_operation"),
            models.Index(fields=["sync_connection", "-created_at"], name="companylog_connection"),
            models.Index(fields=["event_id"], name="companylog_event"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()}: {self.subject or self.event_id}"
