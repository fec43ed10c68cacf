"""Shared set-up for sync tests: a sandbox tenant with connected rooms and staff, meetings."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.utils import timezone

from bookings.models import ReservationStatus
from cancellations.models import CancellationRequest
from syncconnections import connection_setup
from syncconnections.inbound.delta import sync_down
from syncconnections.models import (
    CalendarProvider,
    OutlookEvent,
    SyncConnection,
    Tenant,
    UserType,
)
from tests import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def sandbox_tenant(**fields):
    defaults = {
        "name": "Contoso",
        "directory_id": "sandbox",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "email_domains": "contoso.test",
    }
    return factories.TenantFactory(**{**defaults, **fields})


GOOGLE_ADMIN = "admin@fabrikam.test"
GOOGLE_EVA = "eva@fabrikam.test"  # a person of the Workspace (the eva fixture)


def google_tenant(key, admin=GOOGLE_ADMIN, name="Fabrikam", email_domains="fabrikam.test"):
    """A Google Workspace tenant with the service account's key file, checked as saved."""
    tenant = Tenant(
        name=name,
        calendar_provider=CalendarProvider.GOOGLE_WORKSPACE,
        google_service_account_key=json.dumps(key),
        google_admin_email=admin,
        email_domains=email_domains,
    )
    tenant.full_clean()
    tenant.save()
    return tenant


def google_room(sandbox, tenant, name="Boardroom") -> SyncConnection:
    """A Workspace room (calendar resource) with a validated connection, active: the Google
    calendar's events go both ways."""
    address = f"c_{name.lower().replace(' ', '')}@resource.calendar.google.com"
    sandbox.google_resource(address, name)
    resource = factories.ResourceFactory(
        name=name, mailbox_email=address, location__time_zone="Europe/Amsterdam"
    )
    connection = SyncConnection.objects.create(
        tenant=tenant, user_id=address, resource=resource, user_type=UserType.RESOURCE
    )
    assert connection_setup.validate(connection.pk).valid
    SyncConnection.objects.filter(pk=connection.pk).update(active=True)
    connection.refresh_from_db()
    return connection


def connected_room(sandbox, tenant, name="Boardroom", **connection_fields) -> SyncConnection:
    """A room whose mailbox exists in the sandbox, with a validated, active connection."""
    address = f"room.{name.lower().replace(' ', '')}@contoso.test"
    sandbox.mailbox(address)
    resource = factories.ResourceFactory(
        name=name, mailbox_email=address, location__time_zone="Europe/Amsterdam"
    )
    connection = SyncConnection.objects.create(
        tenant=tenant,
        user_id=address,
        resource=resource,
        user_type=UserType.RESOURCE,
        **{"activate_after_validation": True, **connection_fields},
    )
    assert connection_setup.validate(connection.pk).valid
    connection.refresh_from_db()
    return connection


def connected_staff(sandbox, tenant, first="Anna", calendar="") -> SyncConnection:
    address = f"{first.lower()}@contoso.test"
    sandbox.mailbox(address, kind="user", calendars=[calendar] if calendar else None)
    staff = factories.StaffFactory(first_name=first, email=address)
    connection = SyncConnection.objects.create(
        tenant=tenant,
        user_id=address,
        staff=staff,
        user_type=UserType.USER,
        calendar_name=calendar,
        activate_after_validation=True,
    )
    assert connection_setup.validate(connection.pk).valid
    connection.refresh_from_db()
    return connection


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=AMSTERDAM)


def graph_writes(sandbox, since: int = 0) -> list[tuple[str, str]]:
    """(method, path) of every Graph write, $batch inner requests included."""
    return [
        (r["method"], r["path"])
        for r in sandbox.requests(since)
        if r["path"].startswith("/v1.0/users") and r["method"] in ("POST", "PATCH", "DELETE")
    ]


def graph_calls(sandbox, since: int = 0) -> list[tuple[str, str]]:
    """(method, path) of every request sent to the sandbox, $batch inner requests left out."""
    return [(r["method"], r["path"]) for r in sandbox.requests(since) if not r["inner"]]


def reads_delta(request) -> bool:
    """A $batch of Sync Down's first delta pages (delta.first_pages), not of a push."""
    inner = (request.get("body") or {}).get("requests") or []
    return bool(inner) and all("/delta" in str(i.get("url", "")) for i in inner)


def last_request_id(sandbox) -> int:
    log = sandbox.requests()
    return log[-1]["id"] if log else 0


def weekday_series(connection, days, title="Stand-up"):
    """A daily series on consecutive days starting 2026-12-07: the series, its occurrences,
    then the mark that all occurrences exist."""
    series = factories.ReservationSeriesFactory(
        title=title,
        resource=connection.resource,
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2026-12-07", "numberOfOccurrences": days},
        },
    )
    occurrences = [
        factories.ReservationFactory(
            series=series,
            resource=connection.resource,
            title=title,
            start=at(7, 9) + dt.timedelta(days=d),
            end=at(7, 9, 15) + dt.timedelta(days=d),
        )
        for d in range(days)
    ]
    series.occurrences_complete = True
    series.save()
    return series, occurrences


def book(connection, **fields):
    """A reservation in the connection's room on 7 December, 10:00-11:00 Amsterdam."""
    fields = {"title": "Quarterly review", "start": at(7, 10), "end": at(7, 11), **fields}
    return factories.ReservationFactory(resource=connection.resource, **fields)


def cancelled_in_outlook(sandbox, room, how="delete"):
    """A reservation of ours whose Outlook event an Outlook user cancelled or deleted, and the
    cancellation request that Sync Down made of it: (request, event id)."""
    reservation = book(room, status=ReservationStatus.CONFIRMED)
    link = OutlookEvent.objects.get(reservation=reservation)
    getattr(sandbox, f"outlook_{how}")(room.user_id, link.event_id)
    sync_down(room.pk)
    return CancellationRequest.objects.get(reservation=reservation), link.event_id


ORGANIZER = "lisa.dekker@contoso.test"


def in_days(days, hour, minutes=60):
    start = (timezone.now() + dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return start, start + dt.timedelta(minutes=minutes)


def graph_time(moment):
    return {"dateTime": moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def meeting(subject="Hiring panel", days=3, hour=10, **extra):
    start, end = in_days(days, hour)
    return {
        "subject": subject,
        "start": graph_time(start),
        "end": graph_time(end),
        "organizerEmail": ORGANIZER,
        "attendees": [{"emailAddress": {"address": "guest@contoso.test"}, "type": "required"}],
        **extra,
    }
