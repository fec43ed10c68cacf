"""common.bulk.insert: many new rows in one statement, each exactly as save() would store it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from common import bulk
from syncconnections.models import CompanyLogEntry, LogOperation, Tenant
from tests import factories

pytestmark = pytest.mark.django_db


def test_rows_are_stored_with_their_values_defaults_and_json():
    connection_ = factories.SyncConnectionFactory()
    start = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    before = timezone.now()
    entries = [
        CompanyLogEntry(
            sync_connection=connection_,
            operation=LogOperation.CREATED,
            mailbox="atrium@contoso.test",
            organizer_email=f"o{n}@contoso.test",
            subject=f'Quote "{n}" \\ tab\there',
            start=start,
            end=start + dt.timedelta(hours=1),
            event_id=f"AAMk{n}=",
            outlook_data={"id": f"AAMk{n}=", "subject": f'Quote "{n}"', "n": [n, None, True]},
        )
        for n in range(3)
    ]

    bulk.insert(entries)

    stored = list(CompanyLogEntry.objects.order_by("event_id"))
    assert [
        (e.organizer_email, e.subject, e.start, e.end, e.event_id, e.outlook_data, e.reservation_id)
        for e in stored
    ] == [
        (
            f"o{n}@contoso.test",
            f'Quote "{n}" \\ tab\there',
            start,
            start + dt.timedelta(hours=1),
            f"AAMk{n}=",
            {"id": f"AAMk{n}=", "subject": f'Quote "{n}"', "n": [n, None, True]},
            None,
        )
        for n in range(3)
    ]
    assert all(e.sync_connection_id == connection_.pk for e in stored)
    assert all(before <= e.created_at <= timezone.now() for e in stored)


def test_one_statement_for_all_rows():
    connection_ = factories.SyncConnectionFactory()
    entries = [
        CompanyLogEntry(sync_connection=connection_, operation="created", mailbox="a@b.test")
        for _ in range(50)
    ]

    with CaptureQueriesContext(connection) as queries:
        bulk.insert(entries)

    assert CompanyLogEntry.objects.count() == 50
    if connection.vendor == "postgresql":
        assert len(queries) == 0  # COPY, which does not pass Django's query log
    else:
        assert len(queries) == 1


def test_encrypted_fields_are_encrypted():
    tenant = Tenant(
        name="Bulk",
        directory_id="dir",
        client_id="client",
        client_secret="very secret",
        email_domains="bulk.test",
    )

    bulk.insert([tenant])

    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM syncconnections_tenant WHERE name = 'Bulk'")
        (raw,) = cursor.fetchone()
    assert "very secret" not in raw
    assert Tenant.objects.get(name="Bulk").client_secret == "very secret"


def test_nothing_to_insert_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        bulk.insert([])
        bulk.insert_rows(CompanyLogEntry, (row for row in []))
    assert len(queries) == 0
    assert CompanyLogEntry.objects.count() == 0


def test_with_ids_gives_each_instance_the_primary_key_of_its_row():
    resource = factories.ResourceFactory()
    start = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    reservations = [
        Reservation(
            resource=resource,
            title=f"Meeting {n}",
            start=start + dt.timedelta(hours=n),
            end=start + dt.timedelta(hours=n + 1),
            status=ReservationStatus.CONFIRMED,
        )
        for n in range(3)
    ]

    bulk.insert(reservations, with_ids=True)

    assert [Reservation.objects.get(pk=r.pk).title for r in reservations] == [
        "Meeting 0",
        "Meeting 1",
        "Meeting 2",
    ]
    assert [r._state.adding for r in reservations] == [False, False, False]
    # The next row saved the usual way takes the next key: the sequence was advanced.
    later = factories.ReservationFactory(resource=resource)
    assert later.pk > max(r.pk for r in reservations)


def test_rows_without_instances_take_the_defaults_of_the_fields_left_out():
    connection_ = factories.SyncConnectionFactory()
    before = timezone.now()

    bulk.insert_rows(
        CompanyLogEntry,
        [
            {
                "sync_connection_id": connection_.pk,
                "operation": LogOperation.CREATED,
                "mailbox": "atrium@contoso.test",
                "event_id": f"AAMk{n}=",
                "outlook_data": {"id": f"AAMk{n}=", "n": [n, None]},
            }
            for n in range(2)
        ],
    )

    stored = list(
        CompanyLogEntry.objects.order_by("event_id").values(
            "event_id", "outlook_data", "subject", "organizer_email", "start", "reservation_id"
        )
    )
    assert stored == [
        {
            "event_id": f"AAMk{n}=",
            "outlook_data": {"id": f"AAMk{n}=", "n": [n, None]},
            "subject": "",
            "organizer_email": "",
            "start": None,
            "reservation_id": None,
        }
        for n in range(2)
    ]
    assert all(
        before <= created <= timezone.now()
        for created in CompanyLogEntry.objects.values_list("created_at", flat=True)
    )
