"""Each role's day in Chromium, on what `make run` sets up: the demo data (`load_demo`), the
sandbox seeded from it (as `run_sandbox` does), and a real task cluster that validates the
connections and pushes the demo's reservations; the webhooks answered by the live server."""

import datetime as dt
import os
import signal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts_pms.models import StayNTouchRequest
from bookings.models import Account, Reservation, ReservationStatus, Resource, Staff
from cancellations.models import CancellationRequest
from errors.models import SyncError
from sandbox.seed import from_database
from syncconnections.google import GoogleClient, event_id
from syncconnections.google_keys import parse_key
from syncconnections.models import (
    CompanyLogEntry,
    OutboxEntry,
    OutlookConflict,
    OutlookEvent,
    SyncConnection,
    SyncRequest,
    Tenant,
)
from syncconnections.payloads import parse_local
from tests.helpers import log_in, member_of, wait_until
from tests.sync_helpers import graph_time

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_cluster,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_and_cluster(sandbox, sandbox_server, settings, live_server, start_cluster):
    """`make run`'s state: demo loaded, sandbox seeded from it, connections validated and
    the demo's reservations pushed by a running cluster (returned too)."""
    settings.SANDBOX_ORIGIN = sandbox_server.url
    call_command("setup_roles")
    call_command("load_demo", force=True)
    sandbox.seed(**from_database())
    cluster = start_cluster(**CLUSTER_SETTINGS, PUBLIC_BASE_URL=live_server.url)
    assert wait_until(settled, timeout=120), (
        list(SyncConnection.objects.values_list("user_id", "valid", "active")),
        list(OutboxEntry.objects.values_list("reservation__title", "attempts", "claimed_by")),
        list(SyncError.objects.values_list("error_message", flat=True)),
    )
    return sandbox, cluster


CLUSTER_SETTINGS = {"TASK_WORKERS": "2"}


@pytest.fixture
def demo(demo_and_cluster):
    return demo_and_cluster[0]


def settled():
    return (
        SyncConnection.objects.count() == 15
        and not SyncConnection.objects.filter(valid=False).exists()
        and not OutboxEntry.objects.exists()
    )


def messages(page, kind):
    """The messages shown, once one of this kind (success, info, error) is among them."""
    page.wait_for_selector(".messagelist")
    shown = page.locator(".messagelist li").all_inner_texts()
    assert page.locator(f".messagelist .{kind}").count(), shown
    return shown


def book_in_admin(page, title, day, start, end, room):
    """Book a confirmed reservation on the admin's Add reservation page, as the back office
    does: `day` an ISO date, `start` and `end` times of the room's location."""
    page.goto("/admin/bookings/reservation/add/")
    page.fill("#id_title", title)
    page.fill("#id_start_0", day)
    page.fill("#id_start_1", start)
    page.fill("#id_end_0", day)
    page.fill("#id_end_1", end)
    page.select_option("#id_status", "confirmed")
    page.click(".field-resource .select2-selection")
    page.fill(".select2-search__field", room)
    page.click(f".select2-results__option:has-text('{room}')")
    page.click("input[name=_continue]")


def live_events(sandbox, mailbox, subject):
    return [
        e for e in sandbox.events(mailbox) if e["subject"] == subject and not e.get("isCancelled")
    ]


def test_back_office_books_a_room_and_decides_two_cancellations(demo, browser_page):
    sandbox, page = demo, browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Back office"))
    boardroom = Resource.objects.get(name="Boardroom")
    day = (timezone.localdate() + dt.timedelta(days=4)).isoformat()

    # Book a room.
    book_in_admin(page, "Strategy day", day, "16:00", "17:30", "Boardroom")
    saved = messages(page, "success")
    reservation = Reservation.objects.get(title="Strategy day")
    assert wait_until(lambda: live_events(sandbox, boardroom.mailbox_email, "Strategy day"))
    [event] = live_events(sandbox, boardroom.mailbox_email, "Strategy day")
    page.reload()
    in_outlook = page.inner_text(".field-in_outlook")

    assert saved[0].startswith("The reservation “Strategy day")
    assert parse_local(event["start"]) == dt.datetime.fromisoformat(f"{day}T16:00").replace(
        tzinfo=ZoneInfo("Europe/Amsterdam")
    )
    assert event["id"][-24:] in in_outlook
    assert "Nothing waiting to be sent." in in_outlook

    # An Outlook user cancels it; the sync asks the back office.
    sandbox.outlook_cancel(boardroom.mailbox_email, event["id"])
    assert wait_until(
        lambda: CancellationRequest.objects.filter(reservation=reservation).exists(), timeout=60
    )
    demo_request = CancellationRequest.objects.exclude(reservation=reservation).get()
    ours = CancellationRequest.objects.get(reservation=reservation)

    # Cancel the demo's request (after the confirmation page) ...
    page.goto(f"/admin/cancellations/cancellationrequest/{demo_request.pk}/change/")
    page.click("button:has-text('Cancel the reservation')")
    page.click("input[type=submit][value^='Yes, cancel']")
    cancelled = messages(page, "success")
    # ... and keep ours, deciding on the status page: Outlook's event comes back to life.
    page.goto("/admin/cancellations/cancellationrequest/")
    page.locator("#result_list tbody tr", has_text="Strategy day").locator(
        "input.action-select"
    ).check()
    page.select_option("select[name=action]", "get_status_info")
    page.click("button[name=index]")
    status = page.inner_text(f"#status-{ours.pk}")
    page.locator(f"#status-{ours.pk}").locator("button:has-text('Keep')").click()
    kept = messages(page, "success")

    assert cancelled == [f"Cancelled {demo_request.reservation}."]
    assert "Cancelled in Outlook" in status and "Strategy day" in status
    assert kept[0].startswith(f"Kept {reservation}")
    assert wait_until(
        lambda: len(live_events(sandbox, boardroom.mailbox_email, "Strategy day")) == 1,
        timeout=60,
    )
    ours.refresh_from_db()
    assert ours.state == "rejected"


def test_support_reads_the_company_log_and_cannot_decide(demo, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Support"))
    entry = CompanyLogEntry.objects.filter(organizer_email__startswith="lisa.dekker").first()
    day = timezone.localdate(entry.created_at).isoformat()

    page.goto("/admin/syncconnections/companylogentry/")
    page.fill("#searchbar", "lisa.dekker@contoso.example")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    page.goto(f"{page.url}&created_at__range__gte={day}&created_at__range__lte={day}")
    subjects = page.locator("#result_list tbody td.field-subject").all_inner_texts()
    page.locator("#result_list tbody tr th a, #result_list tbody tr td a").first.click()
    original = page.inner_text("pre.bb-json")
    request = CancellationRequest.objects.get()
    forged = page.evaluate(
        """async (url) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const answer = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token}});
            return answer.status;
        }""",
        f"/admin/cancellations/cancellationrequest/{request.pk}/run/approve/",
    )

    assert subjects and set(subjects) == {"Hiring panel"}
    assert '"organizer"' in original and "lisa.dekker@contoso.example" in original
    assert forged == 403
    request.refresh_from_db()
    assert request.state == "pending"


def test_integration_admin_tests_validates_imports_and_syncs(demo, browser_page):
    sandbox, page = demo, browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Integration admin"))
    connection = SyncConnection.objects.get(user_id__startswith="room.erasmus")
    tenant = connection.tenant

    # Test the tenant, validate a connection, deactivate and activate it.
    page.goto(f"/admin/syncconnections/tenant/{tenant.pk}/change/")
    page.click("button:has-text('Test')")
    tested = messages(page, "success")
    page.goto(f"/admin/syncconnections/syncconnection/{connection.pk}/change/")
    page.click("button:has-text('Deactivate')")
    messages(page, "success")
    page.click("button:has-text('Activate')")
    activated = messages(page, "success")
    page.click("button:has-text('Validate')")
    validated = messages(page, "info")

    # Import a room Microsoft 365 has and Bookbridge does not, as a new resource.
    sandbox.seed(
        rooms=[
            {
                "address": "room.newton@contoso.example",
                "display_name": "Newton",
                "capacity": 6,
                "room_list": "rooms.amsterdamhq@contoso.example",
            }
        ]
    )
    page.goto("/admin/syncconnections/syncconnection/import-rooms/")
    page.select_option("#id_tenant", str(tenant.pk))  # two tenants: Microsoft's and Google's
    page.click("input[type=submit][value='List rooms']")
    page.check("input[name=room][value='room.newton@contoso.example']")
    page.click("input[type=submit][value='Create connections']")
    imported = messages(page, "success")
    assert wait_until(
        lambda: SyncConnection.objects.filter(
            user_id="room.newton@contoso.example", valid=True, active=True
        ).exists(),
        timeout=60,
    )

    # Sync an account to StayNTouch; a callout that failed is retried once Rover is back.
    account = Account.objects.get(name="Tailspin Toys")
    sandbox.fault("/connect/accounts", status=503, times=20)
    page.goto(f"/admin/bookings/account/{account.pk}/change/")
    page.click("button:has-text('Sync to StayNTouch')")
    incomplete = messages(page, "error")
    page.fill("#id_contact_last_name", "Jansen")
    page.fill("#id_contact_email", "finance@tailspin.example")
    page.click("input[name=_continue]")
    messages(page, "success")
    page.click("button:has-text('Sync to StayNTouch')")
    failed = messages(page, "error")
    sandbox.clear_faults()
    request = StayNTouchRequest.objects.filter(account=account, state="failed").latest("pk")
    page.goto(f"/admin/accounts_pms/stayntouchrequest/{request.pk}/change/")
    page.click("button:has-text('Retry callout')")
    retried = messages(page, "success")

    assert tested[0].startswith("Contoso")
    assert validated[0].startswith("Validation started for room.erasmus")
    assert activated[0].startswith("Activated room.erasmus")
    assert imported[0].endswith("New resources: Newton (Amsterdam HQ).")
    assert Resource.objects.get(mailbox_email="room.newton@contoso.example").capacity == 6
    assert incomplete == [
        "Tailspin Toys was not sent to StayNTouch: it has no contact last name, no contact e-mail."
    ]
    assert "Tailspin Toys was not synced: StayNTouch answered" in failed[0]
    assert "Tailspin Toys" in retried[0]
    assert [a["name"] for a in sandbox.rover()["accounts"]].count("Tailspin Toys") == 1


def test_the_planner_s_office_365_view_agrees_with_the_demo(demo, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Back office"))
    pushed = OutlookEvent.objects.filter(reservation__isnull=False).select_related(
        "reservation__resource__location"
    )
    first = min(pushed, key=lambda e: e.reservation.start)
    location = first.reservation.resource.location
    day = timezone.localdate(first.reservation.start).isoformat()

    page.goto(f"{reverse('admin:syncconnections_planner')}?location={location.pk}&day={day}")
    page.click("#bb-view-outlook")
    page.wait_for_selector("tr.bb-outlook-row")
    outlook_titles = page.locator("tr.bb-outlook-row .bb-block .bb-title").all_inner_texts()

    assert first.reservation.title in outlook_titles


def test_back_office_meets_a_meeting_booked_in_outlook_while_the_cluster_was_down(
    demo_and_cluster, browser_page, start_cluster, live_server
):
    """The cluster stops (a deploy); meanwhile Bram books the Boardroom in Outlook and the
    back office books the same slot in the admin, which cannot know yet. After the restart
    the reservation is not pushed over Bram's meeting: a conflict, which the back office
    decides in the browser by keeping ours."""
    sandbox, cluster = demo_and_cluster
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Back office"))
    boardroom = Resource.objects.get(name="Boardroom")
    bram = Staff.objects.get(first_name="Bram").email
    day = timezone.localdate() + dt.timedelta(days=4)
    amsterdam = ZoneInfo("Europe/Amsterdam")
    start = dt.datetime.combine(day, dt.time(18), amsterdam)

    os.killpg(cluster.pid, signal.SIGTERM)
    cluster.wait(30)
    sandbox.outlook_create(
        bram,
        subject="Budget review",
        start=graph_time(start),
        end=graph_time(start + dt.timedelta(hours=1)),
        attendees=[{"emailAddress": {"address": boardroom.mailbox_email}, "type": "resource"}],
    )
    assert live_events(sandbox, boardroom.mailbox_email, "Budget review")  # the room accepted

    book_in_admin(page, "Strategy day", day.isoformat(), "18:30", "19:30", "Boardroom")
    messages(page, "success")
    reservation = Reservation.objects.get(title="Strategy day")

    start_cluster(**CLUSTER_SETTINGS, PUBLIC_BASE_URL=live_server.url)
    assert wait_until(
        lambda: (
            OutlookConflict.objects.filter(reservation=reservation).exists()
            and not OutboxEntry.objects.exists()
            and not SyncRequest.objects.exists()
        ),
        timeout=60,
    )
    conflict = OutlookConflict.objects.get()
    page.reload()
    in_outlook = page.inner_text(".field-in_outlook")
    assert not live_events(sandbox, boardroom.mailbox_email, "Strategy day")
    assert (
        f"Outlook holds 'Budget review' ({bram}) 18:00–19:00 in Boardroom, in the way of "
        f"'Strategy day' (#{reservation.pk})."
    ) in in_outlook

    page.click(".field-in_outlook a:has-text('Decide')")
    page.click("button:has-text('Keep ours')")
    page.fill("#id_reason", "The board meets here that evening.")
    page.click("input[type=submit][value^='Keep ours']")
    decided = messages(page, "success")

    assert decided == [
        f"Declined 'Budget review' in {boardroom.mailbox_email}; the reservation is sent."
    ]
    assert wait_until(lambda: live_events(sandbox, boardroom.mailbox_email, "Strategy day"))
    assert not live_events(sandbox, boardroom.mailbox_email, "Budget review")
    [organizers] = live_events(sandbox, bram, "Budget review")
    assert [a["status"]["response"] for a in organizers["attendees"]] == ["declined"]
    conflict.refresh_from_db()
    assert (conflict.state, conflict.decided_by.username) == ("kept_ours", "back-office")
    assert not SyncError.objects.filter(reservation=reservation, resolved=False).exists()
    page.goto(f"/admin/bookings/reservation/{reservation.pk}/change/")
    assert "Conflict:" not in page.inner_text(".field-in_outlook")


def test_back_office_books_a_weekly_series_moves_one_and_cancels_the_rest(demo, browser_page):
    """A series booked from the form goes to Outlook as one recurring event; one occurrence
    moved becomes an exception there; "cancel this and following" ends the series."""
    sandbox, page = demo, browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, member_of("Back office"))
    boardroom = Resource.objects.get(name="Boardroom")
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())

    page.goto("/admin/bookings/reservationseries/add/")
    page.fill("#id_title", "Sprint demo")
    page.click(".field-resource .select2-selection")
    page.fill(".select2-search__field", "Boardroom")
    page.click(".select2-results__option:has-text('Boardroom')")
    page.select_option("#id_pattern", "weekly")
    page.check("input[name=days_of_week][value=tuesday]")
    page.check("input[name=days_of_week][value=thursday]")
    page.fill("#id_first_day", monday.isoformat())
    page.fill("#id_starts_at", "07:00")
    page.fill("#id_ends_at", "07:45")
    page.check("input[name=ends][value=numbered]")
    page.fill("#id_count", "4")
    page.click("input[name=_continue]")
    booked = messages(page, "success")
    occurrences = list(Reservation.objects.filter(title="Sprint demo").order_by("start"))
    zone = ZoneInfo(boardroom.location.time_zone)
    days = [monday + dt.timedelta(days=d) for d in (1, 3, 8, 10)]

    assert any(m.startswith("Booked: Every week on Tue, Thu, 07:00–07:45") for m in booked)
    assert [timezone.localtime(o.start, zone).date() for o in occurrences] == days
    assert wait_until(lambda: instances(sandbox, boardroom, "Sprint demo"), timeout=60)

    # Move the second occurrence: it alone changes (an exception in Outlook).
    page.goto(f"/admin/bookings/reservation/{occurrences[1].pk}/change/")
    page.fill("#id_start_1", "08:00")
    page.fill("#id_end_1", "08:45")
    page.click("input[name=_continue]")
    messages(page, "success")
    wanted = [(days[0], "07:00"), (days[1], "08:00"), (days[2], "07:00"), (days[3], "07:00")]
    assert wait_until(lambda: instances(sandbox, boardroom, "Sprint demo") == wanted, 60), (
        instances(sandbox, boardroom, "Sprint demo")
    )

    # Cancel the third and the fourth: the series ends the day before the third.
    page.goto(f"/admin/bookings/reservation/{occurrences[2].pk}/change/")
    page.click("a.button:has-text('Cancel this and following')")
    page.click("input[type=submit][value^='Yes, cancel']")
    cancelled = messages(page, "success")

    assert cancelled == [f"Cancelled 2 occurrence(s) from {occurrences[2]}."]
    assert wait_until(
        lambda: instances(sandbox, boardroom, "Sprint demo") == wanted[:2], timeout=60
    ), instances(sandbox, boardroom, "Sprint demo")
    last_day = (days[2] - dt.timedelta(days=1)).isoformat()
    assert wait_until(
        lambda: (
            [
                e["recurrence"]["range"].get("endDate")
                for e in live_events(sandbox, boardroom.mailbox_email, "Sprint demo")
            ]
            == [last_day]
        ),
        timeout=60,
    )
    # Outlook dropped the moved occurrence's exception when the series ended sooner: resent.
    assert wait_until(lambda: instances(sandbox, boardroom, "Sprint demo") == wanted[:2], 60)
    assert [
        o.status for o in Reservation.objects.filter(title="Sprint demo").order_by("start")
    ] == [
        "confirmed",
        "confirmed",
        "cancelled",
        "cancelled",
    ]


def instances(sandbox, resource, subject):
    """(day, local start) of the instances Outlook shows of the room's series `subject`."""
    from syncconnections.graph import GraphClient

    connection = SyncConnection.objects.get(resource=resource)
    zone = ZoneInfo(resource.location.time_zone)
    start = timezone.now() - dt.timedelta(days=1)
    seen = GraphClient.for_tenant(connection.tenant).calendar_view(
        connection.user_id, start, start + dt.timedelta(days=30), connection.calendar_id or None
    )
    return [
        (
            parse_local(e["start"]).astimezone(zone).date(),
            f"{parse_local(e['start']).astimezone(zone):%H:%M}",
        )
        for e in sorted(seen, key=lambda e: e["start"]["dateTime"])
        if e["subject"] == subject and e.get("seriesMasterId") and not e.get("isCancelled")
    ]


# --- the Utrecht office, on Google Workspace ----------------------------------------------


def in_google(sandbox, room):
    """The room's Google calendar as Google holds it: its live events by id."""
    return {
        e["id"]: e
        for e in sandbox.google_events(room.mailbox_email)
        if e.get("status") != "cancelled"
    }


def test_back_office_books_utrecht_rooms_in_google_and_decides_a_cancellation_from_google(
    demo_and_cluster, browser_page, start_cluster, live_server
):
    sandbox, cluster = demo_and_cluster
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    domtoren = Resource.objects.get(name="Domtoren")
    oudegracht = Resource.objects.get(name="Oudegracht")
    google = Tenant.objects.get(calendar_provider="google_workspace")
    assert all(
        c.active and c.subscription_id for c in SyncConnection.objects.filter(tenant=google)
    )  # live: a push channel each
    day = timezone.localdate() + dt.timedelta(days=4)

    # The demo's Utrecht bookings are in the rooms' Google calendars, with our ids.
    demo_booked = Reservation.objects.filter(resource=domtoren, end__gt=timezone.now())
    assert demo_booked.exists()
    assert {event_id(r.uuid) for r in demo_booked} <= set(in_google(sandbox, domtoren))

    # The back office books the Domtoren in the admin: it reaches Google.
    log_in(page, member_of("Back office"))
    book_in_admin(page, "Strategy day", day.isoformat(), "16:00", "17:30", "Domtoren")
    messages(page, "success")
    ours = Reservation.objects.get(title="Strategy day")
    assert wait_until(lambda: event_id(ours.uuid) in in_google(sandbox, domtoren), timeout=60)
    event = in_google(sandbox, domtoren)[event_id(ours.uuid)]
    assert event["start"] == {
        "dateTime": dt.datetime.combine(day, dt.time(16), ZoneInfo("Europe/Amsterdam")).isoformat(),
        "timeZone": "Europe/Amsterdam",
    }
    page.reload()
    assert "Nothing waiting to be sent." in page.inner_text(".field-in_outlook")

    # Eva books the Oudegracht in her Google calendar: the channel brings it in.
    eva = Staff.objects.get(first_name="Eva")
    as_eva = GoogleClient(parse_key(google.google_service_account_key), eva.email)
    start = dt.datetime.combine(day, dt.time(14), ZoneInfo("Europe/Amsterdam"))
    as_eva.insert_event(
        eva.email,
        "evacall0001",
        {
            "summary": "Customer call",
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Amsterdam"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=1)).isoformat(),
                "timeZone": "Europe/Amsterdam",
            },
            "attendees": [{"email": oudegracht.mailbox_email, "resource": True}],
        },
    )
    call = wait_until(lambda: Reservation.objects.filter(title="Customer call").first(), 60)
    assert call and (call.resource, call.start, call.staff) == (oudegracht, start, eva)
    page.goto("/admin/bookings/reservation/?q=Customer+call")
    row = page.locator("#result_list tbody tr", has_text="Customer call").inner_text()
    assert "Oudegracht" in row and "2 p.m." in row  # in the location's time

    # The cluster stops (a deploy); meanwhile Eva deletes the meeting in Google.
    os.killpg(cluster.pid, signal.SIGTERM)
    cluster.wait(30)
    as_eva.delete_event(eva.email, "evacall0001")
    assert wait_until(  # the site took Google's notification and kept it
        lambda: [d for d in sandbox.notifications() if d["status"] == 200][-1:], timeout=30
    )
    start_cluster(**CLUSTER_SETTINGS, PUBLIC_BASE_URL=live_server.url)
    request = wait_until(
        lambda: CancellationRequest.objects.filter(reservation=call).first(), timeout=90
    )
    assert request is not None

    # The back office sees Google's deletion and cancels the reservation.
    page.goto("/admin/cancellations/cancellationrequest/")
    assert "Customer call" in page.inner_text("#result_list")
    page.goto(f"/admin/cancellations/cancellationrequest/{request.pk}/change/")
    page.click("button:has-text('Cancel the reservation')")
    page.click("input[type=submit][value^='Yes, cancel']")
    assert messages(page, "success") == [f"Cancelled {call}."]
    call.refresh_from_db()
    assert call.status == ReservationStatus.CANCELLED
    assert "evacall0001" not in in_google(sandbox, oudegracht)  # nothing made again
    assert event_id(ours.uuid) in in_google(sandbox, domtoren)  # ours untouched
