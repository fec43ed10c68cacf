"""Setting connections up: validate a mailbox calendar, activate and deactivate."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django_q.tasks import async_task

from common.http_client import TransportError
from errors.models import Operation
from errors.recording import record, resolve
from syncconnections import outbound
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import GraphClient, GraphError, first_line
from syncconnections.inbound import subscriptions
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)


@dataclass
class ValidationResult:
    connection: SyncConnection
    valid: bool
    stage: str = ""
    message: str = ""
    temporary: bool = False

    @property
    def summary(self) -> str:
        if self.valid:
            return f"{self.connection}: valid"
        kind = "could not be validated now" if self.temporary else "is not valid"
        return f"{self.connection} {kind} ({self.stage}): {self.message}"


def request_validation(connection: SyncConnection) -> None:
    """Validate in the background; enqueued in the caller's transaction."""
    async_task(validate_job, connection.pk, task_name=f"validate {connection.user_id}")


def validate_job(connection_id: int) -> str:
    return validate(connection_id).summary


def validate(connection_id: int) -> ValidationResult:
    """Check the mailbox's domain, that the mailbox exists and that its calendar is found.

    Success stores the calendar id and marks the connection valid (and active, with
    "activate after validation"). A failure marks it invalid and inactive, and records a
    SyncError (Connection Setup) naming the stage. A temporary failure (Graph unreachable,
    throttled) is recorded too, but leaves the connection as it was."""
    connection = SyncConnection.objects.select_related("tenant").get(pk=connection_id)
    tenant = connection.tenant
    if not tenant.accepts_mailbox(connection.user_id):
        return _invalid(
            connection,
            "domain check",
            f"{connection.user_id} is not in the e-mail domains of {tenant} "
            f"({tenant.email_domains}).",
        )
    if tenant.is_google:
        return _validate_google(connection)
    client = GraphClient.for_tenant(tenant)
    stage = "get user"
    try:
        client.get_user(connection.user_id)
        stage = "find calendar"
        if connection.calendar_name:
            calendar = client.find_calendar(connection.user_id, connection.calendar_name)
        else:
            calendar = client.default_calendar(connection.user_id)
    except GraphError as exc:
        return _invalid(connection, stage, error=exc, temporary=not exc.permanent)
    except Exception as exc:  # a bug, or what no one foresaw: said in one line, kept in the log
        logger.exception("validating %s failed unexpectedly", connection)
        return _invalid(
            connection,
            stage,
            f"Unexpected error ({type(exc).__name__}): {first_line(exc)}",
            temporary=True,
        )
    if calendar is None:
        return _invalid(
            connection,
            stage,
            f"No calendar named “{connection.calendar_name}” in {connection.user_id}.",
            status=404,
        )
    return _valid(connection, calendar["id"])


def _validate_google(connection: SyncConnection) -> ValidationResult:
    """A Google Workspace room's or user's own calendar, reached as the tenant's admin."""
    stage = "get calendar"
    if connection.calendar_name:
        return _invalid(
            connection,
            stage,
            "Google Workspace connections use the room's or user's own calendar: leave "
            "Calendar name empty.",
        )
    try:
        calendar = GoogleClient.for_tenant(connection.tenant).get_calendar(connection.user_id)
    except GoogleError as exc:
        if exc.status == 404:
            return _invalid(
                connection,
                stage,
                f"Google Workspace has no calendar {connection.user_id} that "
                f"{connection.tenant.google_admin_email} may reach.",
                status=404,
            )
        return _invalid(connection, stage, error=exc, temporary=not exc.permanent)
    except ValueError as exc:  # the tenant's key file is none
        return _invalid(connection, stage, str(exc))
    return _valid(connection, calendar["id"])


def _same_mailbox(connection: SyncConnection):  # type: ignore[no-untyped-def]
    # Only the mailbox that was checked: if someone pointed the connection elsewhere
    # meanwhile, this result no longer applies.
    return SyncConnection.objects.filter(
        pk=connection.pk,
        tenant_id=connection.tenant_id,
        user_id=connection.user_id,
        calendar_name=connection.calendar_name,
    )


def _valid(connection: SyncConnection, calendar_id: str) -> ValidationResult:
    was_active = connection.active
    with transaction.atomic():
        _same_mailbox(connection).update(
            valid=True,
            calendar_id=calendar_id,
            last_validated_at=timezone.now(),
            active=Case(
                When(activate_after_validation=True, then=Value(True)), default=F("active")
            ),
        )
        connection.refresh_from_db()
        resolve(Operation.CONNECTION_SETUP, connection)
        if connection.active and not was_active:
            started([connection])
    return ValidationResult(connection, True)


def _invalid(
    connection: SyncConnection,
    stage: str,
    message: str | None = None,
    *,
    error: TransportError | None = None,
    status: int | None = None,
    temporary: bool = False,
) -> ValidationResult:
    with transaction.atomic():
        if not temporary:
            _same_mailbox(connection).update(
                valid=False, active=False, calendar_id="", last_validated_at=timezone.now()
            )
        recorded = record(
            operation=Operation.CONNECTION_SETUP,
            stage=stage,
            connection=connection,
            error=error,
            message=message,
            status_code=status,
        )
    connection.refresh_from_db()
    return ValidationResult(connection, False, stage, recorded.error_message, temporary)


@dataclass
class ActivationResult:
    activated: list[SyncConnection]
    refused: list[SyncConnection]
    reservations_queued: int


def activate(connections: Iterable[SyncConnection]) -> ActivationResult:
    """Activate the valid ones and push their future reservations; refuse the others."""
    connections = list(connections)
    with transaction.atomic():
        ids = [c.pk for c in connections if not c.active]
        SyncConnection.objects.filter(pk__in=ids, valid=True).update(active=True)
        now_active = list(SyncConnection.objects.filter(pk__in=ids, active=True))
        queued = started(now_active)
    activated_ids = {c.pk for c in now_active}
    refused = [c for c in connections if not c.valid]
    return ActivationResult([c for c in connections if c.pk in activated_ids], refused, queued)


def started(connections: list[SyncConnection]) -> int:
    """What follows activation: push the reservations, subscribe the live ones, catch up with
    what is in their calendars. The number of reservations queued for Outlook."""
    queued = outbound.queue_connection(connections)
    subscriptions.request_subscriptions([c.pk for c in connections if c.use_live_sync])
    request_sync([c.pk for c in connections], reason="activated")
    return queued


def live_sync_changed(connection: SyncConnection) -> None:
    """Live sync ticked or unticked on a connection: subscribe it, or drop its subscription."""
    async_task(
        subscriptions.match_live_sync_job,
        connection.pk,
        task_name=f"live sync {connection.user_id}",
    )


def deactivate(connections: Iterable[SyncConnection]) -> int:
    """Stop syncing and drop the live subscription: the events in Outlook stay."""
    ids = [c.pk for c in connections]
    with transaction.atomic():
        stopped = SyncConnection.objects.filter(pk__in=ids, active=True).update(active=False)
        for pk in (
            SyncConnection.objects.filter(pk__in=ids)
            .exclude(subscription_id="")
            .values_list("pk", flat=True)
        ):
            async_task(subscriptions.unsubscribe_job, pk, task_name="unsubscribe")
    return stopped
