"""Live sync: a Graph subscription per live connection, kept renewed, so changes in Outlook
are announced to /graph/notifications/ as they happen."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from errors.models import Operation
from errors.recording import record, resolve
from syncconnections.graph import BatchResult, GraphClient, GraphError, parse_datetime
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)

# Graph allows 10,080 minutes for Outlook resources; ask for a little less.
LIFETIME = dt.timedelta(minutes=10080 - 15)
RENEW_WITHIN = dt.timedelta(hours=24)
# A subscription made or renewed this recently may belong to a subscribe still on its way
# to storing it: the clean-up leaves it to the next run.
CLEAN_UP_AFTER = dt.timedelta(minutes=15)


def notification_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("graph-notifications")


def subscribe(connection: SyncConnection) -> bool:
    """Create the connection's subscription, replacing (and deleting) any it had; True on
    success."""
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
                "notificationUrl": notification_url(),
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
    replaced, connection.subscription_id = connection.subscription_id, created["id"]
    if replaced and replaced != created["id"]:
        _forget(client, replaced)
    resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def _forget(client: GraphClient, subscription_id: str) -> None:
    """Delete a subscription no connection uses any more; one already gone is fine, and one
    that cannot be deleted now is left to refresh_subscriptions' clean-up."""
    try:
        client.delete_subscription(subscription_id)
    except GraphError as exc:
        if exc.status != 404:
            logger.info("subscription %s left for the clean-up: %s", subscription_id, exc)


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
    resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def renew_many(connections: list[SyncConnection]) -> tuple[int, int]:
    """renew() for many connections: twenty renewals a `$batch` call, per tenant (2,000
    subscriptions in a hundred calls). Each answer counts for its own connection: one Graph
    no longer knows is made again, a failure is recorded for it alone. (renewed, failed)."""
    outcomes: list[bool] = []
    by_tenant: dict[int, list[SyncConnection]] = {}
    for connection in connections:
        if connection.subscription_id:
            by_tenant.setdefault(connection.tenant_id, []).append(connection)
        else:
            outcomes.append(resubscribe(connection))
    for group in by_tenant.values():
        client = GraphClient.for_tenant(group[0].tenant)
        expires = timezone.now() + LIFETIME
        requests = [
            client.renew_subscription_request(str(i), c.subscription_id, expires)
            for i, c in enumerate(group)
        ]
        try:
            results = client.batch(requests)
        except GraphError as exc:
            results = [BatchResult(str(i), exc.status or 0, None, exc) for i in range(len(group))]
        outcomes += [_renewed(c, r) for c, r in zip(group, results, strict=True)]
    return sum(outcomes), outcomes.count(False)


def _renewed(connection: SyncConnection, result: BatchResult) -> bool:
    if result.status == 404:
        return resubscribe(connection)
    if result.error is not None:
        _failed(connection, "renew subscription", result.error)
        return False
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_expires_at=parse_datetime(result.body["expirationDateTime"])
    )
    resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def resubscribe(connection: SyncConnection) -> bool:
    """Subscribe afresh, then catch up with delta on what was missed meanwhile."""
    subscribed = subscribe(connection)
    request_sync([connection.pk], reason="resubscribed")
    return subscribed


def on_lifecycle(connection_id: int, subscription_id: str, event: str) -> bool:
    """Act on a lifecycle notification about `subscription_id`, once: Graph delivers at least
    once, so the same notification may come many times, and at once. Each is handled with
    the connection locked, and only while `subscription_id` is still the connection's: the
    first reauthorizationRequired renews it, the first subscriptionRemoved replaces it (and
    catches up with delta); the others find it renewed or replaced and do nothing."""
    with transaction.atomic():
        connection = (
            SyncConnection.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .filter(pk=connection_id)
            .first()
        )
        if (
            connection is None
            or not subscription_id
            or connection.subscription_id != subscription_id
            or not connection.should_live
        ):
            return False
        if event == "reauthorizationRequired":
            return renew(connection)
        done = subscribe(connection)
    request_sync([connection_id], reason="resubscribed")
    return done


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
    extra: int = 0  # subscriptions in Graph for our URL that no connection uses, deleted

    def line(self) -> str:
        return (
            f"Subscriptions: {self.created} created, {self.renewed} renewed, "
            f"{self.removed} removed, {self.failed} failed, {self.extra} left over deleted."
        )


def refresh_subscriptions() -> RefreshSummary:
    """Renew what expires within a day, recreate what is missing or lapsed (catching up with
    delta), and remove the subscriptions of connections that no longer live-sync."""
    summary = RefreshSummary()
    now = timezone.now()
    candidates = SyncConnection.objects.filter(Q(active=True) | ~Q(subscription_id=""))
    due: list[SyncConnection] = []  # renewed together, in $batch calls
    for connection in candidates.select_related("tenant"):
        if not connection.should_live:
            if connection.subscription_id:
                unsubscribe(connection)
                summary.removed += 1
            continue
        expires = connection.subscription_expires_at
        if not connection.subscription_id or expires is None or expires <= now:
            ok = resubscribe(connection)
            summary.created += ok
            summary.failed += not ok
        elif expires <= now + RENEW_WITHIN:
            due.append(connection)
    summary.renewed, failed = renew_many(due)
    summary.failed += failed
    summary.extra = remove_extra_subscriptions()
    return summary


def remove_extra_subscriptions() -> int:
    """Delete the subscriptions Graph holds for this site's notification URL that no
    connection uses (left by a crash between Graph's answer and storing it, say): at most
    one live subscription per connection. Another site's (another URL) are left alone."""
    ours = notification_url()
    removed = 0
    for tenant_id in (
        SyncConnection.objects.filter(Q(use_live_sync=True) | ~Q(subscription_id=""))
        .values_list("tenant_id", flat=True)
        .distinct()
    ):
        connections = SyncConnection.objects.filter(tenant_id=tenant_id).select_related("tenant")
        tenant = connections[0].tenant
        client = GraphClient.for_tenant(tenant)
        try:
            listed = client.list_subscriptions()
        except GraphError as exc:
            logger.warning("subscriptions of %s could not be listed: %s", tenant, exc)
            continue
        recent = timezone.now() + LIFETIME - CLEAN_UP_AFTER
        used = set(
            connections.exclude(subscription_id="").values_list("subscription_id", flat=True)
        )
        for subscription in listed:
            if (
                subscription.get("notificationUrl") != ours
                or subscription.get("id") in used
                or parse_datetime(subscription["expirationDateTime"]) > recent
            ):
                continue
            _forget(client, subscription["id"])
            removed += 1
    return removed


def _failed(connection: SyncConnection, stage: str, exc: GraphError) -> None:
    record(
        operation=Operation.SUBSCRIPTION_REFRESH,
        stage=stage,
        connection=connection,
        error=exc,
    )


# --- jobs: django-q2 task functions, enqueued by reference --------------------------------------


def _connection(connection_id: int) -> SyncConnection:
    return SyncConnection.objects.select_related("tenant").get(pk=connection_id)


def subscribe_job(connection_id: int) -> bool:
    connection = _connection(connection_id)
    return connection.should_live and subscribe(connection)


def renew_job(connection_id: int, subscription_id: str | None = None) -> bool:
    """Renew the connection's subscription; given the id a lifecycle notification named,
    only while that is still the connection's subscription."""
    if subscription_id is not None:
        return on_lifecycle(connection_id, subscription_id, "reauthorizationRequired")
    connection = _connection(connection_id)
    return connection.should_live and renew(connection)


def resubscribe_job(connection_id: int, subscription_id: str | None = None) -> bool:
    """Subscribe afresh and catch up; given the id of a removed subscription, only while
    that is still the connection's (a repeated subscriptionRemoved does it once)."""
    if subscription_id is not None:
        return on_lifecycle(connection_id, subscription_id, "subscriptionRemoved")
    connection = _connection(connection_id)
    return connection.should_live and resubscribe(connection)


def unsubscribe_job(connection_id: int) -> None:
    unsubscribe(_connection(connection_id))


def match_live_sync_job(connection_id: int) -> bool:
    """Subscribe a connection that now live-syncs and has no subscription (catching up with
    delta), or drop the subscription of one that no longer does; whichever it is when the
    job runs. True when a subscription was made."""
    connection = _connection(connection_id)
    if not connection.should_live:
        unsubscribe(connection)
        return False
    return not connection.subscription_id and resubscribe(connection)
