"""Two task clusters on one PostgreSQL database, and Outlook busy at the same time.

Ten rooms and four staff members are connected with live sync to the sandbox (its own
process, every Graph request taking LATENCY, as over the internet); the webhooks run under
gunicorn; two `manage.py qcluster` processes (two workers each) do the work. While the
back office books RESERVATIONS rooms (each with a connected staff member: two events each),
Outlook users make MEETINGS meetings: half in staff calendars, inviting a room (a copy lands
in the room's calendar), half straight in room calendars, from outside organizers.

Every race this invites is one the sync must win: a push and the Sync Down of the
notification of its own write, two clusters syncing the calendars that hold one meeting,
both clusters claiming the same work. Figures: duplicate events, duplicate reservations,
sync errors, outbox entries left claimed, and how long until everything settled.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections import Counter
from pathlib import Path

from bench.load import at_once, wait_until_settled
from bench.processes import free_port, running, sandbox

ROOMS = 10
STAFF = 4
RESERVATIONS = 500
MEETINGS = 240
SECONDS = 40  # over which both sides make their changes
LATENCY = 0.1  # seconds per Graph request
SETTLE_WITHIN = 300  # seconds; what is still busy then is reported, not waited for
DOMAIN = "clusters.test"


def run(folder: str) -> list[tuple[str, str]]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return [("skipped", "needs PostgreSQL: set BENCH_DATABASE_URL=postgres://…")]
    with sandbox(folder) as (url, ca_file, _):
        return _run(folder, url, ca_file)


def _run(folder: str, sandbox_url: str, ca_file: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django_q.conf import Conf

    from sandbox.client import SandboxControl

    settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = sandbox_url
    settings.GRAPH_CA_BUNDLE = ca_file
    Conf.SYNC = False  # the clusters do the work
    control = SandboxControl(sandbox_url, ca_file)
    port = free_port()
    web = f"http://127.0.0.1:{port}"
    settings.PUBLIC_BASE_URL = web
    env = {
        "GRAPH_API_ROOT": sandbox_url,
        "GRAPH_AUTHORITY_HOST": sandbox_url,
        "GRAPH_CA_BUNDLE": ca_file,
        "PUBLIC_BASE_URL": web,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
        "TASK_WORKERS": "2",
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    cluster = [sys.executable, "manage.py", "qcluster"]
    with (
        running(gunicorn, f"{web}/healthz", False, env),
        running(cluster, f"{web}/healthz", False, env),
        running(cluster, f"{web}/healthz", False, env),
    ):
        rooms, staff = connect(control)
        control.settings(latency=LATENCY)
        began = time.monotonic()
        busy_days(control, rooms, staff)
        made = time.monotonic() - began
        quiet = wait_until_settled(timeout=SETTLE_WITHIN, fail=False)
        return figures(control, rooms, staff, made, None if quiet is None else quiet - began)


def connect(control) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """Rooms and staff with live, validated connections, subscribed by the clusters."""
    from bookings.models import Location, Resource, Staff
    from syncconnections import connection_setup
    from syncconnections.models import SyncConnection, Tenant, UserType

    tenant = Tenant.objects.create(
        name="Two clusters",
        directory_id="sandbox",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        email_domains=DOMAIN,
    )
    location = Location.objects.create(name="Two clusters", time_zone="Europe/Amsterdam")
    rooms, staff = [], []
    for n in range(ROOMS):
        address = f"room{n}@{DOMAIN}"
        control.mailbox(address)
        rooms.append(
            Resource.objects.create(location=location, name=f"Room {n}", mailbox_email=address)
        )
    for n in range(STAFF):
        address = f"user{n}@{DOMAIN}"
        control.mailbox(address, kind="user")
        staff.append(Staff.objects.create(first_name=f"User{n}", last_name="Bench", email=address))
    connections = [
        SyncConnection.objects.create(
            tenant=tenant,
            user_id=target.mailbox_email if isinstance(target, Resource) else target.email,
            resource=target if isinstance(target, Resource) else None,
            staff=target if isinstance(target, Staff) else None,
            user_type=UserType.RESOURCE if isinstance(target, Resource) else UserType.USER,
            activate_after_validation=True,
            use_live_sync=True,
        )
        for target in [*rooms, *staff]
    ]
    for connection in connections:
        assert connection_setup.validate(connection.pk).valid
    deadline = time.monotonic() + 120
    while SyncConnection.objects.filter(subscription_id="").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the clusters did not subscribe the connections in 2 minutes")
        time.sleep(0.5)
    wait_until_settled(timeout=120)
    return rooms, staff


def busy_days(control, rooms, staff) -> None:  # type: ignore[no-untyped-def]
    """The back office and Outlook users at work at once, for SECONDS."""
    at_once(lambda: back_office(rooms, staff), lambda: outlook_users(control, rooms, staff))


def back_office(rooms, staff) -> None:  # type: ignore[no-untyped-def]
    """Books blind: a slot an Outlook meeting already took (and Bookbridge has read) is
    refused, as the form would refuse it, and counted."""
    from bookings.models import Reservation, ReservationStatus
    from bookings.overlaps import RoomDoubleBooked

    first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    pause = SECONDS / RESERVATIONS
    for n in range(RESERVATIONS):
        start = first + dt.timedelta(days=1 + n // 40, minutes=15 * (n % 40))
        try:
            Reservation.objects.create(
                resource=rooms[n % ROOMS],
                staff=staff[n % STAFF],
                title=f"Booked {n}",
                start=start,
                end=start + dt.timedelta(minutes=15),
                status=ReservationStatus.CONFIRMED,
            )
        except RoomDoubleBooked:
            REFUSED.append(n)
        time.sleep(pause)


REFUSED: list[int] = []  # reservations the back office could not book: the room was taken


def outlook_users(control, rooms, staff) -> None:  # type: ignore[no-untyped-def]
    randomly = random.Random(16)
    first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    pause = SECONDS / MEETINGS
    for n in range(MEETINGS):
        start = first + dt.timedelta(days=2 + n // 20, hours=n % 20)
        room = randomly.choice(rooms)
        body = {
            "subject": f"Outlook {n}",
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {
                "dateTime": (start + dt.timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "attendees": [{"emailAddress": {"address": room.mailbox_email}, "type": "resource"}],
        }
        if n % 2:  # a staff member's meeting, with a copy in the room's calendar
            control.outlook_create(randomly.choice(staff).email, **body)
        else:  # straight in the room's calendar, from someone outside
            control.outlook_create(
                room.mailbox_email, **body, organizerEmail=f"guest{n}@elsewhere.test"
            )
        time.sleep(pause)


def figures(control, rooms, staff, made: float, settled: float | None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from bookings.models import Direction, Reservation
    from errors.models import SyncError
    from syncconnections.models import OutboxEntry, OutlookConflict, OutlookEvent, SyncRequest

    # Outlook: each reservation once in its room's calendar and once in its staff member's.
    mailboxes = [r.mailbox_email for r in rooms] + [s.email for s in staff]
    uuids = {str(u) for u in Reservation.objects.values_list("uuid", flat=True)}
    ours = Counter(
        (mailbox, event["transactionId"])
        for mailbox in mailboxes
        for event in control.events(mailbox)
        if event["transactionId"] in uuids and not event["isCancelled"]
    )
    # Held back from a room's calendar: an Outlook meeting there first (the staff member's
    # calendar still gets it).
    held_back = OutlookConflict.objects.open().filter(origin="push").count()
    booked = Reservation.objects.filter(direction=Direction.OUTBOUND).count()
    wanted = 2 * booked - held_back
    declined = sum(
        1
        for s in staff
        for event in control.events(s.email)
        for attendee in event.get("attendees") or []
        if (attendee.get("status") or {}).get("response") == "declined"
    )
    # The back office: each Outlook meeting once, in its room.
    inbound = Reservation.objects.filter(direction=Direction.INBOUND)
    meetings = set(
        OutlookEvent.objects.filter(reservation__direction=Direction.INBOUND)
        .exclude(ical_uid="")
        .values_list("reservation__resource_id", "ical_uid")
    )
    errors = Counter(SyncError.objects.values_list("operation", "stage"))
    requests = [r for r in control.requests() if not r["inner"]]
    return [
        ("reservations booked / Outlook meetings made", f"{booked} / {MEETINGS}"),
        ("bookings refused: the room was taken", f"{len(REFUSED)}"),
        ("meetings a room declined (conflicting invitation)", f"{declined}"),
        (
            "conflicts with Outlook: before a push / by Sync Down",
            f"{held_back} / {OutlookConflict.objects.filter(origin='sync_down').count()}",
        ),
        (
            "events of reservations in Outlook / wanted",
            f"{sum(ours.values())} / {wanted}",
        ),
        ("duplicate events (target 0)", f"{sum(n - 1 for n in ours.values())}"),
        (
            "links of outbound reservations / wanted",
            f"{OutlookEvent.objects.filter(reservation__direction=Direction.OUTBOUND).count()}"
            f" / {wanted}",
        ),
        ("meetings booked / inbound reservations", f"{len(meetings)} / {inbound.count()}"),
        (
            "reservations more than meetings (target 0)",
            f"{inbound.count() - len(meetings)}",
        ),
        ("sync errors (target 0)", f"{sum(errors.values())}"),
        *[(f"  of which {op} at {stage}", f"{n}") for (op, stage), n in errors.most_common(3)],
        (
            "outbox entries left / left claimed (target 0)",
            f"{OutboxEntry.objects.count()} / {OutboxEntry.objects.exclude(claim=None).count()}",
        ),
        ("sync requests left", f"{SyncRequest.objects.count()}"),
        ("changes made in", f"{made:.0f} s"),
        (
            "everything settled after",
            f"{settled:.0f} s" if settled is not None else f"not within {SETTLE_WITHIN} s",
        ),
        ("Graph HTTP requests", f"{len(requests):,}"),
        ("sandbox latency per request", f"{LATENCY * 1000:.0f} ms"),
        ("clusters × workers", "2 × 2"),
    ]
