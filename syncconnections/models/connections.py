from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from bookings.models import TimestampedModel
from common.encryption import EncryptedTextField
from syncconnections.models.tenants import SyncMode, Tenant

# The tenant's sync modes in which Bookbridge writes to its calendars, and reads them.
PUSHING_MODES = (SyncMode.BIDIRECTIONAL, SyncMode.OUTBOUND)
SYNCING_DOWN_MODES = (SyncMode.BIDIRECTIONAL, SyncMode.INBOUND)

# A connection is set up (valid), switched on (active), and counts as syncing from its first
# successful sync; until then it waits. Across these states: "live", notified of changes by
# a subscription. Key: (label, condition), as the dashboard counts them and the list filters.
CONNECTION_STATES: dict[str, tuple[str, Q]] = {
    "invalid": ("Not valid", Q(valid=False)),
    "inactive": ("Valid, inactive", Q(valid=True, active=False)),
    "waiting": ("Active, waiting for its first sync", Q(active=True, last_synced_at=None)),
    "syncing": ("Syncing", Q(active=True, last_synced_at__isnull=False)),
    "live": ("Live (subscribed)", Q(active=True, use_live_sync=True) & ~Q(subscription_id="")),
}


class SyncConnectionQuerySet(models.QuerySet):
    def in_use(self) -> SyncConnectionQuerySet:
        """Set up and switched on."""
        return self.filter(active=True, valid=True)

    def pushing(self) -> SyncConnectionQuerySet:
        """Calendars Bookbridge writes to."""
        return self.in_use().filter(tenant__sync_mode__in=PUSHING_MODES)

    def syncing_down(self) -> SyncConnectionQuerySet:
        """Calendars Bookbridge reads changes from."""
        return self.in_use().filter(tenant__sync_mode__in=SYNCING_DOWN_MODES)

    def live(self) -> SyncConnectionQuerySet:
        """Notified of changes by a subscription."""
        return self.in_state("live")

    def in_state(self, key: str) -> SyncConnectionQuerySet:
        return self.filter(CONNECTION_STATES[key][1])


class UserType(models.TextChoices):
    USER = "user", "User"
    RESOURCE = "resource", "Resource"


def lock_calendars(connection_ids: Iterable[int]) -> None:
    """Lock these connections' rows, in id order, before writing their Outlook links. A push
    (many calendars) and a Sync Down (one) both write links and then the connection row;
    taking the rows first, in one order, keeps them from deadlocking (seen on PostgreSQL).
    Inside a transaction only. The lock is FOR NO KEY UPDATE: rows that only refer to the
    connection (a notification's sync request, a company log entry) go on being written
    meanwhile, where FOR UPDATE held them until the page was applied."""
    list(
        SyncConnection.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(connection_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class SyncConnection(TimestampedModel):
    """One mailbox calendar in Microsoft 365 kept in step with one resource or staff member."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="connections")
    user_id = models.EmailField(
        "user id",
        max_length=320,
        help_text="The id of the Outlook user that this sync connection connects to: almost "
        "always the e-mail address of this user, e.g. room.boardroom@contoso.com.",
    )
    user_type = models.CharField(
        max_length=10,
        choices=UserType.choices,
        default=UserType.RESOURCE,
        help_text="Outlook supports resource users; if the user id is a resource mailbox set "
        "this to Resource. This ensures attendees are marked as the correct type.",
    )
    calendar_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="The name of the calendar to sync to. Blank: the mailbox's default calendar.",
    )
    activate_after_validation = models.BooleanField(
        default=False,
        help_text="When checked the connection is activated automatically once its details "
        "have been validated.",
    )
    active = models.BooleanField(
        default=False,
        help_text="If the connection is active or not. Only valid connections can be active, "
        "and inactive connections do not sync.",
    )
    use_live_sync = models.BooleanField(
        default=False,
        help_text="Receive changes from Outlook as they happen (a Graph subscription), not "
        "only at the nightly sync.",
    )
    resource = models.ForeignKey(
        "bookings.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sync_connections",
        help_text="The resource this calendar belongs to. Set either a resource or a staff member.",
    )
    staff = models.ForeignKey(
        "bookings.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sync_connections",
        help_text="The staff member this calendar belongs to. Set either a resource or a staff "
        "member.",
    )
    # Written by the system only.
    valid = models.BooleanField(
        default=False,
        help_text="If the connection is valid or not. Set by validation; not edited by hand.",
    )
    calendar_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="The id of the calendar named in Calendar name (or of the default "
        "calendar). Filled after validation.",
    )
    delta_token = models.TextField(
        blank=True,
        help_text="Token received from Outlook to keep the calendars in sync.",
    )
    secondary_delta_token = models.TextField(
        blank=True,
        help_text="Token received from Outlook to keep the calendars in sync (primes the next "
        "sync window).",
    )
    delta_window_start = models.DateField(null=True, blank=True)
    delta_window_end = models.DateField(null=True, blank=True)
    secondary_window_start = models.DateField(null=True, blank=True)
    secondary_window_end = models.DateField(null=True, blank=True)
    subscription_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="Id of the current live subscription for this connection.",
    )
    subscription_expires_at = models.DateTimeField(null=True, blank=True)
    channel_resource_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="Google's id of the calendar a push channel watches, to stop the channel.",
    )
    subscription_client_state = EncryptedTextField(
        blank=True, help_text="The random clientState of the current subscription."
    )
    last_validated_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # When Sync Down last began to read the calendar: reads are spaced (inbound/sync_requests.py).
    delta_read_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SyncConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = "sync connection"
        permissions = [
            ("validate_syncconnection", "Can validate sync connections"),
            ("activate_syncconnection", "Can activate and deactivate sync connections"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=False, staff__isnull=True)
                | Q(resource__isnull=True, staff__isnull=False),
                name="syncconnection_one_target",
                violation_error_message="Set either a resource or a staff member, not both.",
            ),
            models.CheckConstraint(
                condition=Q(active=False) | Q(valid=True),
                name="syncconnection_active_requires_valid",
                violation_error_message="Only a valid connection can be active.",
            ),
            models.UniqueConstraint(
                F("tenant"),
                Lower("user_id"),
                Lower("calendar_name"),
                name="syncconnection_unique_calendar",
                violation_error_message="This mailbox calendar is already connected.",
            ),
            models.UniqueConstraint(
                fields=["subscription_id"],
                condition=~Q(subscription_id=""),
                name="syncconnection_unique_subscription",
            ),
        ]
        indexes = [
            models.Index(fields=["active", "tenant"], name="syncconnection_active"),
        ]

    @property
    def is_pushing(self) -> bool:
        """The rule of SyncConnectionQuerySet.pushing(), for a connection in hand."""
        return self.active and self.valid and self.tenant.sync_mode in PUSHING_MODES

    @property
    def syncs_down(self) -> bool:
        """The rule of SyncConnectionQuerySet.syncing_down(), for a connection in hand."""
        return self.active and self.valid and self.tenant.sync_mode in SYNCING_DOWN_MODES

    @property
    def should_live(self) -> bool:
        """Wants a subscription: syncs down and is set to live sync."""
        return self.syncs_down and self.use_live_sync

    def __str__(self) -> str:
        return f"{self.user_id} ({self.calendar_name})" if self.calendar_name else self.user_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._normalise()
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and self._mailbox_changed(update_fields):
            self._forget_mailbox_state()
            # The events made in the old calendar become orphans, deleted from it (their link
            # keeps the old mailbox) once the connection is active again.
            self.outlook_events.update(reservation=None, series=None)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *self.MAILBOX_STATE}
        super().save(*args, **kwargs)

    # What validation and sync learned about the mailbox: void once it points elsewhere.
    MAILBOX_STATE = {
        "valid": False,
        "active": False,
        "calendar_id": "",
        "delta_token": "",
        "secondary_delta_token": "",
        "delta_window_start": None,
        "delta_window_end": None,
        "secondary_window_start": None,
        "secondary_window_end": None,
        "subscription_id": "",
        "subscription_expires_at": None,
        "subscription_client_state": "",
        "channel_resource_id": "",
        "last_validated_at": None,
    }

    def _normalise(self) -> None:
        self.user_id = (self.user_id or "").strip().lower()
        self.calendar_name = (self.calendar_name or "").strip()

    def _mailbox_changed(self, update_fields: Any) -> bool:
        identity = ("tenant_id", "user_id", "calendar_name")
        if update_fields is not None and not {"tenant", *identity} & set(update_fields):
            return False
        before = type(self)._base_manager.filter(pk=self.pk).values_list(*identity).first()
        return before is not None and before != tuple(getattr(self, f) for f in identity)

    def _forget_mailbox_state(self) -> None:
        for name, value in self.MAILBOX_STATE.items():
            setattr(self, name, value)

    def clean(self) -> None:
        self._normalise()
        errors: dict[str, str] = {}
        if self.resource_id and self.staff_id:
            errors["staff"] = "Set either a resource or a staff member, not both."
        elif not self.resource_id and not self.staff_id:
            errors["resource"] = "Set the resource or the staff member this calendar belongs to."
        if self.active and not self.valid:
            errors["active"] = "Only a valid connection can be active: validate it first."
        if self.tenant_id and self.user_id and not self.tenant.accepts_mailbox(self.user_id):
            errors["user_id"] = (
                f"{self.user_id} is not in the e-mail domains of {self.tenant} "
                f"({self.tenant.email_domains})."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def target(self) -> Any:
        """The resource or staff member this connection belongs to."""
        return self.resource or self.staff
