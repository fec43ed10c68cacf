"""The lists of failed sign-ins stay usable when a password-guessing run fills them: few
queries whatever their size, a count that stops where a person stops paging, a search by a
whole account name or address, and old failures purged daily."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db import connection
from django.utils import timezone

from backoffice.tasks import purge_sign_in_failures
from tests.helpers import member_of

pytestmark = pytest.mark.django_db


def failures(count, username="guess", address="203.0.113.7", days_ago=0):
    when = timezone.now() - dt.timedelta(days=days_ago)
    rows = AccessFailureLog.objects.bulk_create(
        AccessFailureLog(
            username=f"{username}{n}", ip_address=address, user_agent="curl", path_info="/admin/"
        )
        for n in range(count)
    )
    AccessFailureLog.objects.filter(pk__in=[r.pk for r in rows]).update(attempt_time=when)


def test_the_failures_list_counts_no_further_than_a_person_pages(
    client, django_assert_max_num_queries
):
    # Given a guessing run of 1,200 failures and support reading the list
    failures(1200)
    client.force_login(member_of("Support"))

    # When the list is opened
    with django_assert_max_num_queries(12):
        response = client.get("/admin/axes/accessfailurelog/")

    # Then it shows the newest page and says "more than", having counted no further
    page = response.content.decode()
    assert response.status_code == 200
    assert "more than 500" in page
    assert len(response.context["cl"].result_list) == 100


def test_a_whole_account_name_or_address_finds_its_failures(client):
    failures(30)
    failures(2, username="anna", address="198.51.100.9")
    client.force_login(member_of("Support"))

    by_name = client.get("/admin/axes/accessfailurelog/", {"q": "anna0"})
    by_address = client.get("/admin/axes/accessfailurelog/", {"q": "198.51.100.9"})

    assert [f.username for f in by_name.context["cl"].result_list] == ["anna0"]
    assert sorted(f.username for f in by_address.context["cl"].result_list) == ["anna0", "anna1"]


def test_the_lock_list_filters_by_locked_and_opens(client):
    AccessAttempt.objects.create(
        username="anna", ip_address="203.0.113.7", user_agent="x", failures_since_start=5
    )
    AccessAttempt.objects.create(
        username="bert", ip_address="203.0.113.8", user_agent="x", failures_since_start=1
    )
    client.force_login(member_of("Integration admin"))

    response = client.get("/admin/axes/accessattempt/", {"locked_out": "yes"})

    assert [a.username for a in response.context["cl"].result_list] == ["anna"]


def test_old_failures_are_purged_daily(settings):
    settings.SIGN_IN_FAILURES_KEPT_DAYS = 90
    failures(3, username="old", days_ago=91)
    failures(2, username="recent", days_ago=89)

    assert purge_sign_in_failures() == 3
    assert sorted(AccessFailureLog.objects.values_list("username", flat=True)) == [
        "recent0",
        "recent1",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalogue")
def test_the_failures_are_indexed_by_time():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'axes_accessfailurelog'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("(attempt_time)" in d for d in definitions), definitions
