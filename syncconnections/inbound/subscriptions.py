"""Live sync: a Graph subscription per live connection, kept renewed, so changes in Outlook
are announced to /graph/notifications/ as they happen."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

import errors
from errors.models import Operation
from syncconnections.graph import GraphClient, GraphError, parse_datetime
from syncconnections.inbound.delta import INBOUND_MODES
from syncconnections.inbound.requests import request_sync
from syncconnections.models import SyncConnection

# Graph allows 10,080 minutes for Outlook resources; ask for a little less.
LIFETIME = dt.timedelta(minutes=10080 - 15)
RENEW_WITHIN = dt.timedelta(hours=24)


def lives(connection: SyncConnection) -> bool:
    return (
        connection.active
        and connection.valid
        and connection.use_live_sync
        and connection.tenant.sync_mode in INBOUND_MODES
    )


def subscribe(connection: SyncConnection) -> bool:
    """Create the connection's subscription (replacing any it had); True on success."""
    client = GraphClient.for_tenant(connection.tenant)
    client_state = secrets.token_urlsafe(32)
    mailbox = client.user_path(connection.user_id).lstrip("/")
    resource = (
        f"{mailbox}/calendars/{connection.calendar_id}/events"
        if connection.calendar_name
        else f"{mailbox}/events"
    )
    try:
        created = client.create_subscription(
            {
                "changeType": "created,updated,deleted",
                "notificationUrl": settings.PUBLIC_BASE_URL + reverse("graph-notifications"),
                "lifecycleNotificationUrl": settings.PUBLIC_BASE_URL + reverse("graph-lifecycle"),
                "resource": resource,
                "expirationDateTime": (timezone.now() + LIFETIME).isoformat(),
                "clientState": client_state,
            }
        )
    except GraphError as exc:
        _failed(connection, "create subscription", exc)
        return False
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_id=created["id"],
        subscription_expires_at=parse_datetime(created["expirationDateTime"]),
        subscription_client_state=client_state,
    )
    errors.resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def renew(connection: SyncConnection) -> bool:
    """Extend the subscription; one Graph no longer knows is made again (with a catch-up)."""
    if not connection.subscription_id:
        return resubscribe(connection)
    client = GraphClient.for_tenant(connection.tenant)
    try:
        renewed = client.renew_subscription(connection.subscription_id, timezone.now() + LIFETIME)
    except GraphError as exc:
        if exc.status == 404:
            return resubscribe(connection)
        _failed(connection, "renew subscription", exc)
        return False
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_expires_at=parse_datetime(renewed["expirationDateTime"])
    )
    errors.resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def resubscribe(connection: SyncConnection) -> bool:
    """Subscribe afresh, then catch up with delta on what was missed meanwhile."""
    subscribed = subscribe(connection)
    request_sync([connection.pk], reason="resubscribed")
    return subscribed


def unsubscribe(connection: SyncConnection) -> None:
    if not connection.subscription_id:
        return
    client = GraphClient.for_tenant(connection.tenant)
    try:
        client.delete_subscription(connection.subscription_id)
    except GraphError as exc:
        if exc.status != 404:
            _failed(connection, "delete subscription", exc)
            return
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_id="", subscription_expires_at=None, subscription_client_state=""
    )


@dataclass
class RefreshSummary:
    created: int = 0
    renewed: int = 0
    removed: int = 0
    failed: int = 0


def refresh_subscriptions() -> RefreshSummary:
    """Renew what expires within a day, recreate what is missing or lapsed (catching up with
    delta), and remove the subscriptions of connections that no longer live-sync."""
    summary = RefreshSummary()
    now = timezone.now()
    candidates = SyncConnection.objects.filter(Q(active=True) | ~Q(subscription_id=""))
    for connection in candidates.select_related("tenant"):
        if not lives(connection):
            if connection.subscription_id:
                unsubscribe(connection)
                summary.removed += 1
            continue
        expires = connection.subscription_expires_at
        if not connection.subscription_id or expires is None or expires <= now:
            ok = resubscribe(connection)
            summary.created += ok
        elif expires <= now + RENEW_WITHIN:
            ok = renew(connection)
            summary.renewed += ok
        else:
            continue
        summary.failed += not ok
    return summary


def _failed(connection: SyncConnection, stage: str, exc: GraphError) -> None:
    errors.record(
        operation=Operation.SUBSCRIPTION_REFRESH,
        stage=stage,
        connection=connection,
        status_code=exc.status,
        request_id=exc.request_id,
        message=exc.message,
    )
