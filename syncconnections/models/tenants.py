from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from bookings.models import TimestampedModel
from common.encryption import EncryptedTextField
from syncconnections.csv_lists import split_csv, validate_domain_csv, validate_email_csv


class SyncMode(models.TextChoices):
    BIDIRECTIONAL = "bidirectional", "Bidirectional"
    INBOUND = "inbound", "Inbound (Outlook → Bookbridge)"
    OUTBOUND = "outbound", "Outbound (Bookbridge → Outlook)"


class CalendarProvider(models.TextChoices):
    MICROSOFT_EXCHANGE = "microsoft_exchange", "Microsoft Exchange"
    GOOGLE_WORKSPACE = "google_workspace", "Google Workspace"


class GraphApiVersion(models.TextChoices):
    V1 = "v1.0", "v1.0"
    BETA = "beta", "beta"


# The domain of every Google Workspace room's calendar address (resourceEmail), whichever
# the Workspace's own domains.
GOOGLE_RESOURCE_DOMAIN = "resource.calendar.google.com"


class Tenant(TimestampedModel):
    """One organisation's calendars: a Microsoft 365 tenant (its app registration for Graph)
    or a Google Workspace (a service account with domain-wide delegation)."""

    name = models.CharField(max_length=100, unique=True, help_text="A label, e.g. Contoso.")
    directory_id = models.CharField(
        "directory (tenant) ID",
        max_length=100,
        blank=True,
        help_text="The Azure Account Directory ID: the Tenant ID value provided by the client.",
    )
    client_id = models.CharField(
        "application (client) ID",
        max_length=100,
        blank=True,
        help_text="The Application (client) ID value provided by the client.",
    )
    client_secret = EncryptedTextField(
        blank=True,
        help_text="The Client Secret value provided by the client. Stored encrypted; never "
        "shown again.",
    )
    graph_api_version = models.CharField(
        "Graph API version",
        max_length=10,
        choices=GraphApiVersion.choices,
        default=GraphApiVersion.V1,
        help_text="This should be set to v1.0.",
    )
    email_domains = models.CharField(
        "e-mail domains (CSV)",
        max_length=1000,
        validators=[validate_domain_csv],
        help_text="The e-mail domains used by the client, comma separated (e.g. contoso.com). "
        "Every connected mailbox must be in one of them.",
    )
    sync_mode = models.CharField(
        max_length=20,
        choices=SyncMode.choices,
        default=SyncMode.BIDIRECTIONAL,
        help_text="Which way reservations flow. Bidirectional syncs both ways.",
    )
    calendar_provider = models.CharField(
        max_length=30,
        choices=CalendarProvider.choices,
        default=CalendarProvider.MICROSOFT_EXCHANGE,
        help_text="Whose calendars: Microsoft 365 (Exchange) through Microsoft Graph, or "
        "Google Workspace through the Google Calendar API.",
    )
    google_service_account_key = EncryptedTextField(
        "service account key (JSON)",
        blank=True,
        help_text="Google Workspace: the key file of a service account with domain-wide "
        "delegation for the Calendar and the Directory's calendar resources "
        "(docs/google.md). Stored encrypted; never shown again.",
    )
    google_admin_email = models.EmailField(
        "admin user to act as",
        blank=True,
        help_text="Google Workspace: a super admin of the domain, whom the service account acts "
        "as to read the rooms (calendar resources).",
    )
    failure_notification_emails = models.TextField(
        "failure notification e-mails (CSV)",
        blank=True,
        validators=[validate_email_csv],
        help_text="Comma-separated addresses told about synchronisation errors. Blank: none.",
    )
    max_occurrences = models.PositiveIntegerField(
        default=180,
        validators=[MinValueValidator(1)],
        help_text="Prevents an unlimited number of occurrences from being synchronised for one "
        "recurring meeting.",
    )
    max_updates = models.PositiveIntegerField(
        default=50,
        validators=[MinValueValidator(1)],
        help_text="Prevents an unlimited loop when updating a single reservation: at most this "
        "many updates of one reservation are pushed within 24 hours.",
    )
    ignore_cancellation_requests = models.BooleanField(
        default=False,
        help_text="On: cancellations from Outlook are processed automatically. Off: every "
        "cancellation from Outlook needs manual approval as a cancellation request.",
    )

    last_failure_digest_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the last failure notification digest was sent.",
    )

    class Meta:
        verbose_name = "Microsoft 365 tenant"
        ordering = ["name"]
        permissions = [("test_tenant", "Can test tenant credentials against Microsoft Graph")]
        constraints = [
            models.UniqueConstraint(
                fields=["directory_id", "client_id"],
                condition=Q(calendar_provider="microsoft_exchange"),
                name="tenant_unique_app_registration",
                violation_error_message="These credentials are already configured.",
            ),
            models.CheckConstraint(
                condition=Q(max_occurrences__gte=1) & Q(max_updates__gte=1),
                name="tenant_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_google(self) -> bool:
        return self.calendar_provider == CalendarProvider.GOOGLE_WORKSPACE

    def clean(self) -> None:
        """Each provider's own settings are required; the other's may stay empty."""
        super().clean()
        if self.is_google:
            required = {
                "google_service_account_key": "The service account's key file is required.",
                "google_admin_email": "The admin user to act as is required.",
            }
        else:
            required = {
                "directory_id": "The directory (tenant) ID is required.",
                "client_id": "The application (client) ID is required.",
                "client_secret": "The client secret is required.",
            }
        missing = {name: msg for name, msg in required.items() if not getattr(self, name)}
        if missing:
            raise ValidationError(missing)
        if self.is_google:
            from syncconnections.google_keys import key_problem

            problem = key_problem(self.google_service_account_key)
            if problem:
                raise ValidationError({"google_service_account_key": problem})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_domains = ", ".join(split_csv(self.email_domains))
        self.failure_notification_emails = ", ".join(split_csv(self.failure_notification_emails))
        super().save(*args, **kwargs)

    @property
    def email_domain_list(self) -> list[str]:
        return split_csv(self.email_domains)

    @property
    def failure_notification_list(self) -> list[str]:
        return split_csv(self.failure_notification_emails)

    def accepts_mailbox(self, mailbox: str) -> bool:
        domain = mailbox.rsplit("@", 1)[-1].strip().lower()
        if self.is_google and domain == GOOGLE_RESOURCE_DOMAIN:
            return True  # a Workspace room's calendar: its address is Google's, not the domain's
        return domain in self.email_domain_list
