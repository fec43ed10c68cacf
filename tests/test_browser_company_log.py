"""In a real browser: support searches the company log for a person's e-mail address and
narrows it to a date range."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from syncconnections.models import CompanyLogEntry, LogOperation
from tests import factories
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LISA = "lisa.devries@contoso.test"


def logged(room, day, hour, subject, organizer, attendees, operation=LogOperation.CREATED):
    start = timezone.make_aware(dt.datetime(2026, 3, day, hour))
    booked = start + dt.timedelta(days=2)
    entry = factories.CompanyLogEntryFactory(
        sync_connection=room,
        reservation=None
        if operation == LogOperation.CANCELLED
        else factories.ReservationFactory(
            resource=room.resource, title=subject, start=booked, end=booked + dt.timedelta(hours=1)
        ),
        operation=operation,
        organizer_email=organizer,
        attendee_emails=", ".join([organizer, *attendees, room.user_id]),
        subject=subject,
        start=booked,
        end=booked + dt.timedelta(hours=1),
    )
    CompanyLogEntry.objects.filter(pk=entry.pk).update(created_at=start)
    return subject


def test_support_finds_a_persons_entries_within_a_week(browser_page, screenshot):
    call_command("setup_roles")
    support = factories.UserFactory(username="support")
    support.groups.add(Group.objects.get(name="Support"))
    atrium = factories.SyncConnectionFactory(user_id="room.atrium@contoso.test")
    boardroom = factories.SyncConnectionFactory(user_id="room.boardroom@contoso.test")
    tom, noor = "tom.bakker@contoso.test", "noor.visser@contoso.test"
    logged(atrium, 2, 9, "Kick-off – Finance", LISA, [tom])  # before the week
    wanted = [
        logged(boardroom, 13, 14, "Quarterly review – Sales", tom, [LISA, noor]),
        logged(atrium, 12, 10, "Quarterly review – Sales", tom, [LISA], LogOperation.UPDATED),
        logged(atrium, 10, 9, "1:1 Lisa / Noor", LISA, [noor]),
        logged(
            boardroom, 9, 16, "Budget planning", noor, [LISA, tom], LogOperation.CANCELLED
        ),  # the first day of the range, late in the afternoon
    ]
    logged(atrium, 11, 11, "Design review", tom, [noor])  # in the week, without her
    logged(boardroom, 16, 8, "Sprint retrospective", LISA, [tom])  # the day after the range
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})

    log_in(page, support)
    page.goto("/admin/syncconnections/companylogentry/")
    page.fill("#searchbar", LISA)
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=lisa.devries*")
    searched = page.locator("#result_list tbody td.field-subject").all_inner_texts()
    page.fill("input[name=created_at__range__gte]", "2026-03-09")
    page.fill("input[name=created_at__range__lte]", "2026-03-15")
    page.click("#date-form input[type=submit]")
    page.wait_for_url("**created_at__range__lte=2026-03-15*")
    subjects = page.locator("#result_list tbody td.field-subject").all_inner_texts()
    counted = page.inner_text("#changelist-search .small")
    search_box = page.input_value("#searchbar")
    screenshot(page, "company-log.png")

    assert len(searched) == 6  # everything of hers, before the date range
    assert subjects == wanted  # newest first
    assert counted == "4 results (Show all)"
    assert search_box == LISA
