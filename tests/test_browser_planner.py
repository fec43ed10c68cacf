"""In a real browser: back office opens the planner, switches to the Office 365 view and sees
the Outlook events in blue with the differences highlighted."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from bookings.models import ReservationStatus
from syncconnections.models import OutlookEvent
from tests import factories
from tests.helpers import log_in
from tests.sync_helpers import ORGANIZER, at, book, connected_room, graph_time

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLUE = "rgb(31, 111, 209)"
RED = "rgb(211, 47, 47)"


def test_switch_to_office_365_and_see_the_differences(
    sandbox, tenant, room, browser_page, screenshot
):
    call_command("setup_roles")
    user = factories.UserFactory(username="backoffice")
    user.groups.add(Group.objects.get(name="Back office"))
    location = room.resource.location
    location.name = "Zuidas"
    location.save()
    rembrandt = connected_room(sandbox, tenant, "Rembrandt")
    rembrandt.resource.location = location
    rembrandt.resource.save()
    library = factories.ResourceFactory(location=location, name="Library")
    book(room, title="Quarterly review", status=ReservationStatus.CONFIRMED)
    lost = book(room, title="Budget talk", start=at(7, 13), end=at(7, 14, 30))
    sandbox.outlook_delete(room.user_id, OutlookEvent.objects.get(reservation=lost).event_id)
    sandbox.outlook_create(
        room.user_id,
        subject="Walk-in",
        start=graph_time(at(7, 15)),
        end=graph_time(at(7, 16)),
        organizerEmail=ORGANIZER,
    )
    book(rembrandt, title="Interviews", start=at(7, 9), end=at(7, 12), status="option")
    book(rembrandt, title="Team lunch", start=at(7, 12), end=at(7, 13), status="completed")
    book(rembrandt, title="Offsite prep", start=at(7, 16), end=at(7, 17), status="cancelled")
    factories.ReservationFactory(
        resource=library, title="Reading group", start=at(7, 8), end=at(7, 10), status="concept"
    )
    factories.ReservationFactory(
        resource=library, title="Board pack", start=at(7, 17), end=at(7, 19), status="closed"
    )
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})

    log_in(page, user)
    page.goto(
        f"/admin/syncconnections/syncconnection/planner/?location={location.pk}&day=2026-12-07"
    )
    breadcrumbs = page.inner_text(".breadcrumbs")
    bookbridge_blocks = page.locator(".bb-block .bb-title").all_inner_texts()
    outlook_before = page.locator(".bb-outlook").count()
    page.click("#bb-view-outlook")
    page.wait_for_url("**o365=1")
    walk_in = page.locator(
        "tr.bb-outlook-row[data-resource='Boardroom'] .bb-block", has_text="Walk-in"
    )
    missing = page.locator("tr.bb-row[data-resource='Boardroom'] .bb-block", has_text="Budget talk")
    walk_in_colour = walk_in.evaluate("e => getComputedStyle(e).backgroundColor")
    outlines = [
        block.evaluate("e => getComputedStyle(e).outlineColor") for block in (walk_in, missing)
    ]
    differences = page.locator("#bb-differences li").all_inner_texts()
    library_outlook = page.inner_text("tr.bb-outlook-row[data-resource='Library']")
    screenshot(page, "planner.png", full_page=True)

    assert breadcrumbs == "Home › Microsoft 365 › Planner"
    assert bookbridge_blocks == [
        "Quarterly review",
        "Budget talk",
        "Reading group",
        "Board pack",
        "Interviews",
        "Team lunch",
        "Offsite prep",
    ]
    assert outlook_before == 0
    assert walk_in_colour == BLUE
    assert outlines == [RED, RED]
    assert differences == [
        "Boardroom: “Budget talk” 13:00–14:30 — missing in Outlook",
        "Boardroom: “Walk-in” 15:00–16:00 — not in Bookbridge",
    ]
    assert library_outlook.split() == ["Office", "365", "not", "connected"]
