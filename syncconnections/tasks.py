"""Background jobs of the Microsoft 365 integration (django-q2 task functions).

Each is safe to run twice and reads the current state when it runs."""

from __future__ import annotations

from django_q.tasks import async_task

from syncconnections import outbound, validation, wakeups
from syncconnections.inbound import nightly, requests, subscriptions
from syncconnections.models import SyncConnection


def push_outbound() -> dict[str, int]:
    return outbound.push_outbound()


def sync_pending() -> dict[str, int]:
    return requests.sync_pending()


def validate_connection(connection_id: int) -> str:
    return validation.validate(connection_id).summary


def _connection(connection_id: int) -> SyncConnection:
    return SyncConnection.objects.select_related("tenant").get(pk=connection_id)


def subscribe(connection_id: int) -> bool:
    connection = _connection(connection_id)
    return subscriptions.lives(connection) and subscriptions.subscribe(connection)


def renew_subscription(connection_id: int, subscription_id: str | None = None) -> bool:
    """Renew the connection's subscription; given the id a lifecycle notification named,
    only while that is still the connection's subscription."""
    if subscription_id is not None:
        return subscriptions.on_lifecycle(connection_id, subscription_id, "reauthorizationRequired")
    connection = _connection(connection_id)
    return subscriptions.lives(connection) and subscriptions.renew(connection)


def resubscribe(connection_id: int, subscription_id: str | None = None) -> bool:
    """Subscribe afresh and catch up; given the id of a removed subscription, only while
    that is still the connection's (a repeated subscriptionRemoved does it once)."""
    if subscription_id is not None:
        return subscriptions.on_lifecycle(connection_id, subscription_id, "subscriptionRemoved")
    connection = _connection(connection_id)
    return subscriptions.lives(connection) and subscriptions.resubscribe(connection)


def unsubscribe(connection_id: int) -> None:
    subscriptions.unsubscribe(_connection(connection_id))


def match_live_sync(connection_id: int) -> bool:
    """Subscribe a connection that now live-syncs and has no subscription (catching up with
    delta), or drop the subscription of one that no longer does; whichever it is when the
    task runs. True when a subscription was made."""
    connection = _connection(connection_id)
    if not subscriptions.lives(connection):
        subscriptions.unsubscribe(connection)
        return False
    return not connection.subscription_id and subscriptions.resubscribe(connection)


def refresh_subscriptions() -> dict[str, int]:
    return subscriptions.refresh_subscriptions().__dict__


def nightly_sync(after: int | None = None) -> list[str]:
    # A part that ran out of time hands on to the next.
    summary = nightly.nightly_sync(after=after, time_budget=wakeups.task_time_budget())
    if summary.stopped_at is not None:
        async_task(
            "syncconnections.tasks.nightly_sync",
            summary.stopped_at,
            task_name="Nightly sync (continued)",
        )
    return summary.lines()
