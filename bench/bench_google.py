"""The sync engine on Google Calendar, beside Graph's figures (bench_outbound, bench_sync_down):
the sandbox's Google stand-in in its own process, over HTTPS on loopback.

Outbound: 1,000 reservations across 20 Google Workspace rooms pushed by one run of the
outbound worker; the requests it sent against the least a batch of fifty calls allows.
Sync Down: 10,000 meetings in one room's calendar read into an empty database by one Sync
Down, against the same pages fetched alone, the sandbox answering each page after
PAGE_LATENCY as Google over the network would.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time

from bench.counting import counting_queries
from bench.processes import sandbox

ROOMS = 20
RESERVATIONS = 1000
EVENTS = 10_000
PAGE_LATENCY = 0.1
ADMIN = "admin@fabrikam.test"


def run(folder: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection

    from sandbox.client import SandboxControl
    from syncconnections.google import GoogleTokens
    from syncconnections.models import CalendarProvider, Tenant

    with sandbox(folder) as (url, ca_file, _):
        settings.GOOGLE_API_ROOT = url
        settings.GOOGLE_TOKEN_URI = f"{url}/token"
        settings.GOOGLE_CA_BUNDLE = ca_file
        GoogleTokens.forget_all()
        control = SandboxControl(url, ca_file)
        key = control.google_service_account()
        tenant = Tenant.objects.create(
            name="Bench Google",
            calendar_provider=CalendarProvider.GOOGLE_WORKSPACE,
            google_service_account_key=json.dumps(key),
            google_admin_email=ADMIN,
            email_domains="fabrikam.test",
        )
        rows = outbound(control, tenant)
        rows += sync_down(control, tenant)
    return [*rows, ("database", connection.vendor)]


def room(control, tenant, name: str):
    from bookings.models import Location, Resource
    from syncconnections import connection_setup
    from syncconnections.models import SyncConnection, UserType

    address = f"c_{name}@resource.calendar.google.com"
    control.google_resource(address, name)
    location, _ = Location.objects.get_or_create(name="Bench Utrecht", time_zone="Europe/Amsterdam")
    resource = Resource.objects.create(location=location, name=name, mailbox_email=address)
    connection = SyncConnection.objects.create(
        tenant=tenant, user_id=address, resource=resource, user_type=UserType.RESOURCE
    )
    assert connection_setup.validate(connection.pk).valid
    SyncConnection.objects.filter(pk=connection.pk).update(active=True)
    return connection


def outbound(control, tenant) -> list[tuple[str, str]]:
    from django_q.conf import Conf

    from bookings.models import Reservation
    from syncconnections import outbound as push
    from syncconnections.models import OutlookEvent

    Conf.SYNC = False  # queue the worker; the benchmark runs it itself
    rooms = [room(control, tenant, f"room{i}").resource for i in range(ROOMS)]
    start = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)
    for n in range(RESERVATIONS):
        at = start + dt.timedelta(days=n // 40, minutes=15 * (n % 40))
        Reservation.objects.create(
            resource=rooms[n % ROOMS],
            title=f"Meeting {n}",
            start=at,
            end=at + dt.timedelta(minutes=15),
        )
    control.clear_requests()
    began = time.perf_counter()
    with counting_queries() as queries:
        summary = push.push_outbound()
    wall = time.perf_counter() - began
    calls = [r for r in control.requests() if not r["inner"]]
    batches = [r for r in calls if r["path"].startswith("/batch/")]
    inner = [r for r in control.requests() if r["inner"]]
    reads = [r for r in inner if r["method"] == "GET"]
    made = sum(
        1
        for r in rooms
        for e in control.google_events(r.mailbox_email)
        if e.get("status") != "cancelled"
    )
    assert summary["created"] == RESERVATIONS == made == OutlookEvent.objects.count()
    minimum = math.ceil(RESERVATIONS / 50)
    return [
        ("outbound: events made in Google", f"{made:,}"),
        ("outbound: HTTP requests (batches of ≤ 50 calls)", f"{len(batches)}"),
        ("outbound: minimum with batches of 50 (writes alone)", f"{minimum}"),
        ("outbound: requests / minimum", f"{len(batches) / minimum:.2f}"),
        (
            "outbound: calls inside them: room reads, writes",
            f"{len(reads)}, {len(inner) - len(reads)}",
        ),
        ("outbound: token requests", f"{len(calls) - len(batches)}"),
        ("outbound: DB queries per reservation", f"{queries.count / RESERVATIONS:.2f}"),
        ("outbound: push wall time", f"{wall:.2f} s ({RESERVATIONS / wall:.0f} reservations/s)"),
    ]


def sync_down(control, tenant) -> list[tuple[str, str]]:
    from bookings.models import Reservation
    from syncconnections.google import GoogleClient
    from syncconnections.inbound import delta
    from syncconnections.models import CompanyLogEntry, SyncConnection

    tenant.sync_mode = "inbound"
    tenant.save()
    connection = room(control, tenant, "atrium")
    client = GoogleClient.for_tenant(tenant)
    seed(client, connection.user_id)
    control.fault(
        "^/calendar/v3/calendars/[^/]+/events$",
        method="GET",
        kind="delay",
        seconds=PAGE_LATENCY,
        times=10**6,
    )
    start, end = delta.current_window()
    began = time.perf_counter()
    pages = list(
        client.event_changes(
            connection.user_id,
            window=(delta.moment(start), delta.moment(end)),
            single_events=True,
        )
    )
    fetch_wall = time.perf_counter() - began
    began = time.perf_counter()
    with counting_queries() as queries:
        result = delta.sync_down(connection.pk)
    sync_wall = time.perf_counter() - began
    control.clear_faults()
    assert result.ok, result.error
    fetched = sum(len(items) for items, _ in pages)
    booked = Reservation.objects.filter(resource=connection.resource).count()
    assert fetched == result.events == booked == EVENTS
    assert CompanyLogEntry.objects.filter(sync_connection=connection).count() == EVENTS
    assert SyncConnection.objects.get(pk=connection.pk).delta_token
    latency = f"at {PAGE_LATENCY * 1000:.0f} ms a page"
    return [
        ("Sync Down: events read, reservations made", f"{fetched:,}, {booked:,}"),
        ("Sync Down: pages (2,500 events each at most)", f"{len(pages)}"),
        (f"Sync Down: fetch alone, Sync Down, {latency}", f"{fetch_wall:.2f} s, {sync_wall:.2f} s"),
        (f"Sync Down / fetch alone, {latency}", f"{sync_wall / fetch_wall:.2f}"),
        ("Sync Down: DB queries per event", f"{queries.count / EVENTS:.3f}"),
    ]


def seed(client, calendar: str) -> None:
    """EVENTS meetings on working hours over the coming days, inserted in Google's batches
    by the room's admin (fifty to a request)."""
    today = dt.date.today()
    calls = []
    for n in range(EVENTS):
        day = today + dt.timedelta(days=1 + n // 40)
        begins = dt.datetime.combine(day, dt.time(8), dt.UTC) + dt.timedelta(minutes=15 * (n % 40))
        calls.append(
            (
                "POST",
                client.events_path(calendar),
                {
                    "summary": f"Meeting {n}",
                    "start": {"dateTime": begins.isoformat()},
                    "end": {"dateTime": (begins + dt.timedelta(minutes=15)).isoformat()},
                },
            )
        )
    answers = client.batch(calls)
    assert all(status == 200 for status, _ in answers), answers[:3]
