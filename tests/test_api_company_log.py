"""The company log through the API: searched by e-mail, filtered, paged by cursor."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncconnections.models import CompanyLogEntry
from tests import factories
from tests.helpers import client_for, error_of, member_of, result_ids

pytestmark = pytest.mark.django_db
LOG = "/api/company-log/"


def entry(days_ago=0, **fields):
    logged = factories.CompanyLogEntryFactory(**fields)
    CompanyLogEntry.objects.filter(pk=logged.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return logged.pk


def test_support_finds_entries_by_organizer_attendee_or_mailbox_email():
    by_organizer = entry(organizer_email="lisa.dekker@contoso.test", attendee_emails="")
    by_attendee = entry(attendee_emails="a@contoso.test,lisa.dekker@contoso.test")
    room = factories.SyncConnectionFactory(user_id="room.lisa@contoso.test")
    by_mailbox = entry(sync_connection=room, mailbox="room.lisa@contoso.test")
    entry(organizer_email="jan@contoso.test", attendee_emails="piet@contoso.test")
    longer = entry(organizer_email="annalisa.dekker@contoso.test", attendee_emails="")
    client = client_for(member_of("Support"))

    # A whole address is that address, as in the admin; a part of one is a substring.
    assert result_ids(client.get(LOG, {"email": "Lisa.Dekker@contoso.test"})) == [
        by_attendee,
        by_organizer,
    ]
    assert result_ids(client.get(LOG, {"email": "lisa"})) == [
        longer,
        by_mailbox,
        by_attendee,
        by_organizer,
    ]


def test_the_log_filters_by_operation_connection_and_date():
    room = factories.SyncConnectionFactory()
    old = entry(days_ago=10, sync_connection=room)
    cancelled = entry(days_ago=2, operation="cancelled")
    new = entry(sync_connection=room)
    client = client_for(member_of("Support"))
    five_days_ago = (timezone.localdate() - dt.timedelta(days=5)).isoformat()

    assert result_ids(client.get(LOG, {"operation": "cancelled"})) == [cancelled]
    assert result_ids(client.get(LOG, {"connection": room.pk})) == [new, old]
    assert result_ids(client.get(LOG, {"since": five_days_ago})) == [new, cancelled]
    assert result_ids(client.get(LOG, {"until": five_days_ago})) == [old]


def test_a_short_email_search_is_refused():
    response = client_for(member_of("Support")).get(LOG, {"email": "li"})

    assert response.status_code == 400
    assert error_of(response) == {
        "status": 400,
        "message": "email: Ensure this field has at least 3 characters.",
        "field": "email",
        "details": {"email": ["Ensure this field has at least 3 characters."]},
    }


def test_the_log_pages_by_cursor_newest_first_without_a_count():
    oldest = [entry(days_ago=3) for _ in range(2)]
    same_moment = [entry(days_ago=1) for _ in range(3)]
    CompanyLogEntry.objects.filter(pk__in=same_moment).update(
        created_at=CompanyLogEntry.objects.get(pk=same_moment[0]).created_at
    )
    client = client_for(member_of("Support"))

    pages, url = [], f"{LOG}?page_size=2"
    while url:
        response = client.get(url)
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        pages.append([e["id"] for e in body["results"]])
        url = body["next"] and urlsplit(body["next"])._replace(scheme="", netloc="").geturl()

    assert pages == [
        [same_moment[2], same_moment[1]],
        [same_moment[0], oldest[1]],
        [oldest[0]],
    ]


def test_the_list_leaves_out_the_outlook_data_and_an_entry_has_it():
    logged = factories.CompanyLogEntryFactory(
        subject="Planning",
        attendee_emails="a@contoso.test,b@contoso.test",
        outlook_data={"id": "AAMk1=", "subject": "Planning"},
    )
    client = client_for(member_of("Support"))

    [listed] = client.get(LOG).json()["results"]
    read = client.get(f"{LOG}{logged.pk}/").json()

    assert "outlook_data" not in listed
    assert listed["attendee_emails"] == ["a@contoso.test", "b@contoso.test"]
    assert read == {**listed, "outlook_data": {"id": "AAMk1=", "subject": "Planning"}}


def test_the_list_costs_the_same_queries_for_one_entry_or_many():
    client = client_for(member_of("Support"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LOG, {"email": "contoso"}).status_code == 200
        return captured.captured_queries

    entry()
    one = queries()
    for _ in range(10):
        entry()
    many = queries()

    assert len(one) == len(many)
    assert not any("COUNT(" in q["sql"].upper() for q in many)
    assert not any("outlook_data" in q["sql"] for q in many)


def test_the_log_needs_the_view_permission():
    entry()

    allowed = client_for(member_of("Back office")).get(LOG)
    refused = client_for(factories.UserFactory()).get(LOG)

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert error_of(refused)["message"] == (
        "You need the permission syncconnections.view_companylogentry for this."
    )
