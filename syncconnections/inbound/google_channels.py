"""Google Calendar push channels (events.watch): Google's notifications that a calendar
changed, the live sync of a Google Workspace connection, as Graph's subscriptions are of a
Microsoft one (developers.google.com/workspace/calendar/api/guides/push).

A channel carries a secret token of ours, which each notification brings back in
X-Goog-Channel-Token (google_webhooks.py checks it). It cannot be extended: a renewal opens a
new channel and stops the old one (channels.stop, with the resource id Google gave). The
connection keeps the channel in its subscription fields: its id, its expiry, its token
(encrypted), and the watched calendar's resource id."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid

from django.conf import settings
from django.urls import reverse

from errors.models import Operation
from errors.recording import record, resolve
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)

# Asked of Google; it may give less. Its documented default for calendar channels is a week.
LIFETIME = dt.timedelta(days=7)


def notification_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("google-notifications")


def watch(connection: SyncConnection) -> bool:
    """Open a channel on the connection's calendar, stopping the one it replaces; True on
    success."""
    try:
        client = GoogleClient.for_tenant(connection.tenant)
        token = secrets.token_urlsafe(32)
        channel = client.watch_events(
            connection.calendar_id or connection.user_id,
            str(uuid.uuid4()),
            notification_url(),
            token,
            int(LIFETIME.total_seconds()),
        )
    except (GoogleError, ValueError) as exc:
        _failed(connection, "watch calendar", exc)
        return False
    replaced = (connection.subscription_id, connection.channel_resource_id)
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_id=channel["id"],
        subscription_expires_at=_expiry(channel),
        subscription_client_state=token,
        channel_resource_id=channel.get("resourceId") or "",
    )
    connection.subscription_id = channel["id"]
    connection.channel_resource_id = channel.get("resourceId") or ""
    if replaced[0] and replaced[0] != channel["id"]:
        _stop(client, *replaced)
    resolve(Operation.SUBSCRIPTION_REFRESH, connection)
    return True


def stop(connection: SyncConnection) -> None:
    """Stop the connection's channel (one Google has forgotten is stopped already)."""
    if not connection.subscription_id:
        return
    try:
        client = GoogleClient.for_tenant(connection.tenant)
        client.stop_channel(connection.subscription_id, connection.channel_resource_id)
    except (GoogleError, ValueError) as exc:
        _failed(connection, "stop channel", exc)
        return
    SyncConnection.objects.filter(pk=connection.pk).update(
        subscription_id="",
        subscription_expires_at=None,
        subscription_client_state="",
        channel_resource_id="",
    )


def _stop(client: GoogleClient, channel_id: str, resource_id: str) -> None:
    """A replaced channel: stopped, or left to expire when Google cannot be asked now (its
    notifications then name a channel no connection holds, and are ignored)."""
    try:
        client.stop_channel(channel_id, resource_id)
    except GoogleError as exc:
        logger.info("channel %s left to expire: %s", channel_id, exc)


def _expiry(channel: dict[str, object]) -> dt.datetime | None:
    """Google gives the expiration in milliseconds since the epoch."""
    try:
        return dt.datetime.fromtimestamp(int(str(channel["expiration"])) / 1000, dt.UTC)
    except (KeyError, ValueError):
        return None


def _failed(connection: SyncConnection, stage: str, exc: Exception) -> None:
    error = exc if isinstance(exc, GoogleError) else GoogleError(str(exc), permanent=True)
    record(
        operation=Operation.SUBSCRIPTION_REFRESH, stage=stage, connection=connection, error=error
    )
