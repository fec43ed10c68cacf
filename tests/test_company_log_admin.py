"""The company log admin: search, filters, counting, the detail page and who may do what."""

import datetime as dt
import html
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.admin_pagination import CappedCountPaginator
from syncconnections.admin.company_log import CompanyLogEntryAdmin
from syncconnections.models import CompanyLogEntry, LogOperation, UserType
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:syncconnections_companylogentry_changelist")


def shown(client, **params):
    """The pks the changelist shows, in its order."""
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [entry.pk for entry in response.context["cl"].result_list]


def entry(created_at=None, **fields):
    made = factories.CompanyLogEntryFactory(**fields)
    if created_at is not None:  # auto_now_add ignores a value given at creation
        CompanyLogEntry.objects.filter(pk=made.pk).update(created_at=created_at)
    return made


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def room():
    return factories.SyncConnectionFactory(user_id="room.atrium@contoso.test")


def test_search_by_email_finds_it_as_organizer_attendee_or_mailbox(admin_client, room):
    # Given entries where lisa@contoso.test is the organizer, an attendee or the mailbox, and
    # entries where she is not (another person, a longer address, the subject)
    mine = factories.SyncConnectionFactory(
        user_id="lisa@contoso.test",
        user_type=UserType.USER,
        resource=None,
        staff=factories.StaffFactory(email="lisa@contoso.test"),
    )
    as_organizer = entry(sync_connection=room, organizer_email="LISA@Contoso.test")
    as_attendee = entry(
        sync_connection=room,
        organizer_email="tom@contoso.test",
        attendee_emails="tom@contoso.test, lisa@contoso.test, room.atrium@contoso.test",
    )
    first_attendee = entry(sync_connection=room, attendee_emails="lisa@contoso.test")
    as_mailbox = entry(sync_connection=mine, organizer_email="tom@contoso.test")
    entry(sync_connection=room, organizer_email="lisa@fabrikam.test")
    entry(sync_connection=room, attendee_emails="annalisa@contoso.test, tom@contoso.test")
    entry(sync_connection=room, organizer_email="lisa@contoso.test.evil")
    entry(sync_connection=room, subject="Lunch with lisa@contoso.test")

    # When support searches for her address
    found = shown(admin_client, q=" lisa@contoso.test ")

    # Then exactly her entries show, newest first
    assert found == [as_mailbox.pk, first_attendee.pk, as_attendee.pk, as_organizer.pk]


def test_part_of_an_address_finds_every_address_containing_it(admin_client, room):
    lisa = entry(sync_connection=room, organizer_email="lisa@contoso.test")
    annalisa = entry(sync_connection=room, attendee_emails="annalisa@contoso.test")
    other_domain = entry(sync_connection=room, attendee_emails="lisa@fabrikam.test")
    entry(sync_connection=room, organizer_email="tom@contoso.test", attendee_emails="")

    assert shown(admin_client, q="lisa@contoso") == [annalisa.pk, lisa.pk]
    assert shown(admin_client, q="@fabrikam.test") == [other_domain.pk]


def test_addresses_with_unusual_characters(admin_client, room):
    plus = entry(sync_connection=room, attendee_emails="tom@contoso.test, lisa+events@contoso.test")
    quote = entry(sync_connection=room, organizer_email="o'brien@contoso.ie")
    entry(sync_connection=room, attendee_emails="events@contoso.test, lisa@contoso.test")

    assert shown(admin_client, q="lisa+events@contoso.test") == [plus.pk]
    assert shown(admin_client, q="O'Brien@contoso.ie") == [quote.pk]


def test_two_addresses_find_the_meetings_of_both(admin_client, room):
    both = entry(
        sync_connection=room,
        organizer_email="tom@contoso.test",
        attendee_emails="tom@contoso.test, lisa@contoso.test",
    )
    entry(sync_connection=room, organizer_email="tom@contoso.test", attendee_emails="")

    assert shown(admin_client, q="tom@contoso.test lisa@contoso.test") == [both.pk]


def test_search_by_subject_words_needs_every_word(admin_client, room):
    wanted = entry(sync_connection=room, subject="Quarterly Review – Sales")
    entry(sync_connection=room, subject="Quarterly planning")
    entry(sync_connection=room, subject="Review board")

    assert shown(admin_client, q="quarterly review") == [wanted.pk]


def test_search_by_outlook_event_id_is_whole_and_case_sensitive(admin_client, room):
    wanted = entry(sync_connection=room, event_id="AAMkADQ0ZjE4=")
    entry(sync_connection=room, event_id="AAMkADQ0ZjE4AAA=")

    assert shown(admin_client, q="AAMkADQ0ZjE4=") == [wanted.pk]
    assert shown(admin_client, q="AAMkADQ0ZjE4") == []
    assert shown(admin_client, q="aamkadq0zje4=") == []


def test_date_range_takes_whole_local_days(admin_client, room):
    entry(sync_connection=room, created_at=local(2026, 3, 9, 23, 59, 59))
    first = entry(sync_connection=room, created_at=local(2026, 3, 10, 0, 0))
    last = entry(sync_connection=room, created_at=local(2026, 3, 12, 23, 59, 59, 999999))
    entry(sync_connection=room, created_at=local(2026, 3, 13, 0, 0))

    found = shown(
        admin_client,
        created_at__range__gte="2026-03-10",
        created_at__range__lte="2026-03-12",
    )

    assert found == [last.pk, first.pk]


def test_search_within_a_date_range(admin_client, room):
    entry(sync_connection=room, organizer_email="lisa@contoso.test", created_at=local(2026, 3, 1))
    wanted = entry(
        sync_connection=room, organizer_email="lisa@contoso.test", created_at=local(2026, 3, 11)
    )
    entry(sync_connection=room, organizer_email="tom@contoso.test", created_at=local(2026, 3, 11))

    found = shown(
        admin_client,
        q="lisa@contoso.test",
        created_at__range__gte="2026-03-10",
        created_at__range__lte="2026-03-16",
    )

    assert found == [wanted.pk]


def test_operation_filter(admin_client, room):
    cancelled = entry(sync_connection=room, operation=LogOperation.CANCELLED)
    entry(sync_connection=room, operation=LogOperation.CREATED)
    entry(sync_connection=room, operation=LogOperation.DELETED)

    assert shown(admin_client, operation__exact="cancelled") == [cancelled.pk]


def test_connection_filter_offers_the_mailboxes_and_finds_their_entries(admin_client, room):
    other = factories.SyncConnectionFactory(user_id="room.boardroom@contoso.test")
    entry(sync_connection=room)
    wanted = entry(sync_connection=other)
    unknown = entry(sync_connection=None, mailbox="gone@contoso.test")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)
    [connection_filter] = [
        f for f in response.context["cl"].filter_specs if f.field_path == "sync_connection"
    ]

    assert [label for _, label in connection_filter.lookup_choices] == [
        "room.atrium@contoso.test",
        "room.boardroom@contoso.test",
    ]
    # The encrypted subscription secret is never loaded (nor decrypted) for the labels.
    assert not [q for q in queries if "subscription_client_state" in q["sql"]]
    assert shown(admin_client, sync_connection__id__exact=other.pk) == [wanted.pk]
    assert shown(admin_client, sync_connection__isnull="True") == [unknown.pk]


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(response.context["cl"].result_list), queries


def test_changelist_queries_do_not_grow_with_the_rows(admin_client, room):
    def add(count):
        for n in range(count):
            entry(sync_connection=room, reservation=factories.ReservationFactory(title=f"M{n}"))

    add(5)
    rows_before, before = changelist_queries(admin_client)
    add(45)
    rows_after, after = changelist_queries(admin_client)

    assert (rows_before, rows_after) == (5, 50)
    assert len(after) == len(before)
    page = [q["sql"] for q in after if "syncconnections_companylogentry" in q["sql"]]
    assert not [sql for sql in page if "outlook_data" in sql]  # the list leaves the JSON


def test_count_stops_at_the_cap(admin_client, room, monkeypatch):
    # Given more entries than the paginator counts, two a page
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    monkeypatch.setattr(CompanyLogEntryAdmin, "list_per_page", 2)
    entries = [entry(sync_connection=room, subject="Standup") for _ in range(5)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the unfiltered list's estimate
            cursor.execute("ANALYZE syncconnections_companylogentry")

    searched = admin_client.get(CHANGELIST, {"q": "standup"})
    unfiltered = admin_client.get(CHANGELIST)
    second_page = shown(admin_client, q="standup", p="2")

    # Then a search says "more than 3" and pages up to the third entry
    assert searched.context["cl"].paginator.num_pages == 2
    assert "more than 3 results" in searched.content.decode()
    assert "more than 3 company log\n" in searched.content.decode()
    assert second_page == [entries[2].pk]
    # and the whole list says how big the table is, where PostgreSQL knows it
    expected = "about 5" if connection.vendor == "postgresql" else "more than 3"
    assert f"{expected} company log\n" in unfiltered.content.decode()


def test_count_is_exact_below_the_cap(admin_client, room):
    entry(sync_connection=room, subject="Standup")
    entry(sync_connection=room, subject="Standup")
    entry(sync_connection=room, subject="Retro")

    page = admin_client.get(CHANGELIST, {"q": "standup"}).content.decode()

    assert "2 results" in page
    assert "2 company log\n" in page


def test_detail_page_shows_the_outlook_data_pretty_printed(admin_client, room):
    data = {
        "id": "AAMkADQ0ZjE4=",
        "subject": "Quarterly <review>",
        "attendees": [{"emailAddress": {"address": "lisa@contoso.test"}, "type": "required"}],
    }
    logged = entry(sync_connection=room, outlook_data=data)

    response = admin_client.get(
        reverse("admin:syncconnections_companylogentry_change", args=[logged.pk])
    )

    pretty = json.dumps(data, indent=2, sort_keys=True)
    assert f'<pre class="bb-json">{html.escape(pretty)}</pre>' in response.content.decode()


def support_user():
    call_command("setup_roles")
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name="Support"))
    return user


def test_support_reads_the_log_but_cannot_add_change_or_delete(client, room):
    logged = entry(sync_connection=room, subject="Planning")
    client.force_login(support_user())
    change = reverse("admin:syncconnections_companylogentry_change", args=[logged.pk])

    listed = client.get(CHANGELIST)
    detail = client.get(change)
    add = client.get(reverse("admin:syncconnections_companylogentry_add"))
    post = client.post(change, {"subject": "Changed"})
    delete = client.post(
        reverse("admin:syncconnections_companylogentry_delete", args=[logged.pk]), {"post": "yes"}
    )

    assert [e.pk for e in listed.context["cl"].result_list] == [logged.pk]
    assert listed.context["has_add_permission"] is False
    assert listed.context["action_form"] is None
    assert detail.status_code == 200
    assert (detail.context["has_change_permission"], detail.context["has_delete_permission"]) == (
        False,
        False,
    )
    assert (add.status_code, post.status_code, delete.status_code) == (403, 403, 403)
    logged.refresh_from_db()
    assert logged.subject == "Planning"


def test_no_facet_counts_and_only_the_date_sorts(admin_client, room):
    entry(sync_connection=room)
    _, plain = changelist_queries(admin_client)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"_facets": "True"})
    page = response.content.decode()

    # Counting each filter choice would read the whole table once per choice.
    assert "Show counts" not in page
    assert len(queries) == len(plain)
    # Sorting by any other column would sort the whole table for one page.
    assert page.count('<th scope="col" class="sortable') == 1
    assert '<th scope="col" class="sortable column-created_at' in page


def test_search_bar_counts_only_a_searched_or_filtered_list(admin_client, room):
    entry(sync_connection=room, operation=LogOperation.UPDATED)

    plain = admin_client.get(CHANGELIST).content.decode()
    filtered = admin_client.get(CHANGELIST, {"operation__exact": "updated"}).content.decode()

    assert "1 result (" not in plain
    assert '1 result (<a href="?">Show all</a>)' in filtered


@pytest.mark.parametrize(
    ("start", "end", "shown_as"),
    [
        (local(2026, 3, 15, 14, 0), local(2026, 3, 15, 15, 30), "March 15, 2026, 2 p.m.–3:30 p.m."),
        (
            local(2026, 3, 15, 22, 0),
            local(2026, 3, 16, 1, 0),
            "March 15, 2026, 10 p.m. – March 16, 2026, 1 a.m.",
        ),
        (None, None, "—"),
    ],
)
def test_when_column_shows_start_and_end_in_local_time(admin_client, room, start, end, shown_as):
    entry(sync_connection=room, start=start, end=end)

    page = admin_client.get(CHANGELIST).content.decode()

    assert f'<td class="field-when">{shown_as}</td>' in page


def test_reservation_column_links_to_the_reservation(admin_client, room):
    reservation = factories.ReservationFactory()
    entry(sync_connection=room, reservation=reservation)
    entry(sync_connection=room, reservation=None)

    page = admin_client.get(CHANGELIST).content.decode()

    url = reverse("admin:bookings_reservation_change", args=[reservation.pk])
    assert f'<td class="field-reservation_link"><a href="{url}">#{reservation.pk}</a></td>' in page
    assert '<td class="field-reservation_link">—</td>' in page


on_postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement time limits are PostgreSQL's"
)


def settings_now():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), current_setting('enable_indexscan')"
        )
        return cursor.fetchone()


@on_postgresql_only
def test_a_count_and_page_past_their_patience_run_again_on_the_search_indexes(room, monkeypatch):
    # Given a list whose plan takes longer than the paginator waits (a sleep per row)
    entries = [entry(sync_connection=room) for _ in range(3)]
    slow = CompanyLogEntry.objects.alias(
        slept=RawSQL("(SELECT true FROM pg_sleep(0.02))", [], output_field=BooleanField())
    ).filter(slept=True)
    monkeypatch.setattr(CappedCountPaginator, "patience_ms", 10)
    before = settings_now()

    paginator = CappedCountPaginator(slow.order_by("-created_at", "-pk"), 2)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
        page = paginator.page(1)

    # Then both were given up once and answered with index scans off, settings put back
    assert paginator.walk_abandoned is True
    assert (count, [e.pk for e in page.object_list]) == (3, [entries[2].pk, entries[1].pk])
    settings = [q["sql"] for q in queries if "set_config" in q["sql"]]
    assert [s for s in settings if "'enable_indexscan', 'off'" in s] != []
    assert settings_now() == before


@on_postgresql_only
def test_a_quick_list_keeps_the_planners_choice(admin_client, room):
    entry(sync_connection=room, subject="Standup")

    response = admin_client.get(CHANGELIST, {"q": "standup"})

    assert response.context["cl"].paginator.walk_abandoned is False
    assert settings_now() == ("0", "on")
