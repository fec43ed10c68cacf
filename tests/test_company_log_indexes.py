"""The company log's filters and searches are served by indexes, not table scans."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from syncconnections.models import CompanyLogEntry
from tests import factories

pytestmark = pytest.mark.django_db


def plan(queryset):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables make a scan cheapest; ask what the indexes allow.
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_operation_and_date_filter_uses_its_index():
    factories.CompanyLogEntryFactory.create_batch(3)

    query = CompanyLogEntry.objects.filter(operation="created").order_by("-created_at")[:100]

    assert "companylog_operation" in plan(query)


def test_admin_search_by_email_uses_trigram_indexes_on_postgresql(admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist only on PostgreSQL (migration 0002)")
    factories.CompanyLogEntryFactory.create_batch(3)
    model_admin = site._registry[CompanyLogEntry]
    request = RequestFactory().get("/")
    request.user = admin_user

    query, _ = model_admin.get_search_results(
        request, CompanyLogEntry.objects.all(), "organizer@contoso.test"
    )

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")  # no walking the date index
    text = plan(query)
    for column in ("organizer_email", "mailbox", "attendee_emails", "subject", "event_id"):
        assert f"companylog_{column}_trgm" in text, text
