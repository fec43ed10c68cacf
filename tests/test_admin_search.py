"""Admin filters and searches of the big tables are served by indexes, not table scans."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from bookings.models import Reservation
from errors.models import SyncError
from syncconnections.models import CompanyLogEntry
from tests import factories

pytestmark = pytest.mark.django_db

on_postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="trigram and expression indexes are planned only by PostgreSQL",
)


def plan(queryset, *disabled):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables make a scan cheapest; ask what the indexes allow.
            for setting in ("enable_seqscan", *disabled):
                cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


def admin_search(model, term, user):
    request = RequestFactory().get("/")
    request.user = user
    queryset, _ = site._registry[model].get_search_results(request, model.objects.all(), term)
    return queryset


def test_company_log_operation_filter_uses_its_index():
    factories.CompanyLogEntryFactory.create_batch(3)

    query = CompanyLogEntry.objects.filter(operation="created").order_by("-created_at")[:100]

    assert "companylog_operation" in plan(query)


def test_reservation_search_by_uuid_finds_exactly_that_reservation(admin_user):
    wanted, _other = factories.ReservationFactory.create_batch(2)

    found = admin_search(Reservation, f" {wanted.uuid} ", admin_user)

    assert list(found) == [wanted]
    text = plan(found)
    assert "bookings_reservation_uuid_key" in text or "(uuid=?)" in text, text


@on_postgresql_only
def test_company_log_search_by_part_of_an_address_uses_trigram_indexes(admin_user):
    factories.CompanyLogEntryFactory.create_batch(3)

    query = admin_search(CompanyLogEntry, "organizer@contoso", admin_user)

    text = plan(query, "enable_indexscan")
    for column in ("organizer_email", "mailbox", "attendee_emails", "subject"):
        assert f"companylog_{column}_trgm" in text, text
    # Event ids are looked up whole, in their B-tree index: no trigram index to keep up.
    assert "companylog_event " in text, text
    assert "companylog_event_id_trgm" not in text, text


@on_postgresql_only
def test_company_log_search_by_a_whole_address_uses_the_full_text_index(admin_user):
    factories.CompanyLogEntryFactory.create_batch(3)

    query = admin_search(CompanyLogEntry, "organizer@contoso.test", admin_user)

    text = plan(query, "enable_indexscan")
    assert "companylog_addresses_fts" in text, text
    assert "_trgm" not in text, text


@on_postgresql_only
def test_company_log_search_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [CompanyLogEntry._meta.db_table],
        )
        names = [name for (name,) in cursor.fetchall()]

    assert [name for name in names if name.endswith(("_trgm", "_fts"))] == [
        "companylog_addresses_fts",
        "companylog_attendee_emails_trgm",
        "companylog_mailbox_trgm",
        "companylog_organizer_email_trgm",
        "companylog_subject_trgm",
    ]


def test_company_log_connection_filter_uses_its_index():
    entry = factories.CompanyLogEntryFactory()

    query = CompanyLogEntry.objects.filter(sync_connection=entry.sync_connection_id).order_by(
        "-created_at"
    )[:100]

    assert "companylog_connection" in plan(query)


def test_company_log_date_range_uses_its_index():
    factories.CompanyLogEntryFactory.create_batch(3)
    now = timezone.now()

    query = CompanyLogEntry.objects.filter(
        created_at__gte=now - timedelta(days=7), created_at__lte=now
    ).order_by("-created_at")[:100]

    assert "companylog_created" in plan(query)


@on_postgresql_only
def test_company_log_search_within_a_date_range_reads_no_whole_table(admin_user):
    factories.CompanyLogEntryFactory.create_batch(3)
    now = timezone.now()
    searched = admin_search(CompanyLogEntry, "lisa@contoso.test", admin_user)

    query = searched.filter(created_at__gte=now - timedelta(days=7), created_at__lte=now)
    text = plan(query.order_by("-created_at")[:100])

    assert "Seq Scan" not in text, text


@on_postgresql_only
def test_reservation_search_by_title_uses_trigram_indexes(admin_user):
    factories.ReservationFactory.create_batch(3)

    text = plan(admin_search(Reservation, "quarterly", admin_user), "enable_indexscan")

    assert "reservation_title_trgm" in text
    assert "reservation_organizer_email_trgm" in text


@on_postgresql_only
def test_sync_error_search_by_request_id_uses_its_index(admin_user):
    factories.SyncErrorFactory.create_batch(3)

    text = plan(admin_search(SyncError, "8d6a1a2c-0000-4000-8000-000000000001", admin_user))

    assert "syncerror_request_id" in text
    assert "syncerror_stage_trgm" in text
