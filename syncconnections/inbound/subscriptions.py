"""Live sync: a Graph subscription per live connection, kept renewed, so changes in Outlook
are announced to /graph/notifications/ as they happen."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from common import task_queue, work_queue
from errors.models import Operation
from errors.recording import record, resolve
from syncconnections import wakeups
from syncconnections.graph import BatchResult, GraphClient, GraphError, parse_datetime
from syncconnections.inbound import google_channels
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SubscriptionRequest, SyncConnection

logger = logging.getLogger(__name__)

# Graph allows 10,080 minutes for Outlook resources; ask for a little less.
LIFETIME = dt.timedelta(minutes=10080 - 15)
RENEW_WITHIN = dt.timedelta(hours=24)
WORKER = "subscribe"
CLAIM_SIZE = 100  # subscriptions made in one go: five $batch calls
MAX_ATTEMPTS = 5
# A subscription made or renewed this recently may belong to a subscribe still on its way
# to storing it: the clean-up leaves it to the next run.
CLEAN_UP_AFTER = dt.timedelta(minutes=15)


def notification_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("graph-notifications")


def subscribe(connection: SyncConnection) -> bool:
    """Create the connection's subscription, replacing (and deleting) any it had; True on
    success."""
    if connection.tenant.is_google:
        return google_channels.watch(connection)
    client = GraphClient.for_tenant(connection.tenant)
    wanted = _new_subscription(client, connection)
    try:
        created = client.create_subscription(wanted)
    except GraphError as exc:
        _failed(connection, "create subscription", exc)
        return False
    return _created(client, connection, wanted, created)


def subscribe_many(connections: list[SyncConnection]) -> dict[int, bool]:
    """subscribe() for many connections: twenty creations a `$batch` call, per tenant (Graph
    sends each its validation request, as for one). Each answer counts for its own
    connection. {connection id: subscribed}."""
    if len(connections) == 1:
        return {connections[0].pk: subscribe(connections[0])}
    outcomes = {c.pk: google_channels.watch(c) for c in connections if c.tenant.is_google}
    for group in _by_tenant([c for c in connections if not c.tenant.is_google]):
        client = GraphClient.for_tenant(group[0].tenant)
        wanted = [_new_subscription(client, connection) for connection in group]
        requests = [
            client.create_subscription_request(str(i), body) for i, body in enumerate(wanted)
        ]
        try:
            results = client.batch(requests)
        except GraphError as exc:
            results = [BatchResult(str(i), exc.status or 0, None, exc) for i in range(len(group))]
        for connection, body, result in zip(group, wanted, results, strict=True):
            if result.error is not None:
                _failed(connection, "create subscription", result.error)
                outcomes[connection.pk] = False
            else:
                outcomes[connection.pk] = _created(client, connection, body, result.body)
    return outcomes


def _new_subscription(client: GraphClient, connection: SyncConnection) -> dict[str, str]:
    """What to ask Graph for: the connection's calendar, with a new clientState."""
    mailbox = client.user_path(connection.user_id).lstrip("/")
    resource = (
        f"{mailbox}/calendars/{connection.calendar_id}/events"
        if connection.calendar_name
        else f"{mailbox}/events"
    )
    return {
        "changeType": "created,updated,deleted",
        "notificationUrl": notification_url(),
        "lifecycleNotificationUrl": settings.PUBLIC_BASE_URL + reverse("graph-lifecycle"),
        "resource": resource,
        "expirationDateTime": (timezone.now() + LIFETIME).isoformat(),
        "clientState": secrets.token_urlsafe(32),
    }


def _created(
    client: GraphClient,
    connection: SyncConnection,
    wanted: dict[str, str],
    created: dict[str, Any],
) -> bool:
    """Store the subscription Graph made, and delete the one it replaces."""
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_id=created["id"],
        subscription_expires_at=parse_datetime(created["expirationDateTime"]),
        subscription_client_state=wanted["clientState"],
    )
    replaced, connection.subscription_id = connection.subscription_id, created["id"]
    if replaced and replaced != created["id"]:
        _forget(client, replaced)
    resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def _by_tenant(connections: list[SyncConnection]) -> list[list[SyncConnection]]:
    """The connections in groups of one tenant each: a $batch call speaks for one tenant."""
    groups: dict[int, list[SyncConnection]] = {}
    for connection in connections:
        groups.setdefault(connection.tenant_id, []).append(connection)
    return list(groups.values())


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
    if connection.tenant.is_google:
        return google_channels.watch(connection)  # a channel is replaced, never extended
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
    subscribed = [c for c in connections if c.subscription_id and not c.tenant.is_google]
    outcomes += [resubscribe(c) for c in connections if not c.subscription_id]
    outcomes += [
        google_channels.watch(c) for c in connections if c.subscription_id and c.tenant.is_google
    ]
    for group in _by_tenant(subscribed):
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


def request_subscriptions(connection_ids: Collection[int]) -> None:
    """Subscribe these connections soon, with others asked for meanwhile: one `$batch` call
    for twenty (activating a building's rooms one after another, say). Inside the caller's
    transaction, so the worker never misses a request, nor runs before it is committed."""
    if not connection_ids:
        return
    SubscriptionRequest.objects.bulk_create(
        [SubscriptionRequest(sync_connection_id=pk) for pk in connection_ids],
        ignore_conflicts=True,
    )
    # One being worked on may have read the connection before this change: again, after.
    SubscriptionRequest.objects.filter(sync_connection_id__in=connection_ids).update(
        version=F("version") + 1, not_before=None
    )
    wake()


def wake() -> None:
    wakeups.wake(WORKER, subscribe_pending, "subscribe live connections")


def subscribe_pending(time_budget: float | None = None) -> dict[str, int]:
    """Make the subscriptions asked for (request_subscriptions), CLAIM_SIZE at a time, then
    catch up on each calendar with delta (what changed before its subscription did not
    notify). Safe to run at any time, twice: a connection already subscribed, or no longer
    live, is passed over."""
    budget = task_queue.task_time_budget() if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    wakeups.lower(WORKER)
    made = failed = 0
    while not task_queue.stop_requested() and (
        claimed := list(
            work_queue.claim(
                SubscriptionRequest.objects.all(), order_by="requested_at", limit=CLAIM_SIZE
            )
        )
    ):
        wanting = [
            c
            for c in SyncConnection.objects.filter(
                pk__in=[r.sync_connection_id for r in claimed]
            ).select_related("tenant")
            if c.should_live and not c.subscription_id
        ]
        outcomes = subscribe_many(wanting)
        request_sync([pk for pk, ok in outcomes.items() if ok], reason="subscribed")
        done = {
            r.pk
            for r in claimed
            if outcomes.get(r.sync_connection_id, True) or r.attempts + 1 >= MAX_ATTEMPTS
        }
        # One claim, one token: the done rows settled together.
        work_queue.settle(SubscriptionRequest.objects.filter(pk__in=done, claim=claimed[0].claim))
        for request in claimed:
            if request.pk not in done:
                work_queue.retry_later(request)  # recorded; the hourly refresh tries too
        made += sum(outcomes.values())
        failed += len(outcomes) - sum(outcomes.values())
        if time.monotonic() > deadline:
            wake()  # the rest in a fresh run
            break
    return {"subscribed": made, "failed": failed}


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
    if connection.tenant.is_google:
        google_channels.stop(connection)
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
    missing: list[SyncConnection] = []  # made together, in $batch calls
    for connection in candidates.select_related("tenant"):
        if not connection.should_live:
            if connection.subscription_id:
                unsubscribe(connection)
                summary.removed += 1
            continue
        expires = connection.subscription_expires_at
        if not connection.subscription_id or expires is None or expires <= now:
            missing.append(connection)
        elif expires <= now + RENEW_WITHIN:
            due.append(connection)
    made = subscribe_many(missing)
    request_sync([c.pk for c in missing], reason="resubscribed")  # catch up on what was missed
    summary.created = sum(made.values())
    summary.failed = len(made) - summary.created
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
        if tenant.is_google:
            continue  # Google lists no channels: a lost one expires, its notifications ignored
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
    """One connection's subscription (tasks queued before activation asked through
    request_subscriptions; kept so that they still run)."""
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
