"""In a real browser: back office approves a cancellation request from the list."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from bookings.models import ReservationStatus
from cancellations.models import CancellationRequest
from tests import factories
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_approve_a_cancellation_request(browser_page, screenshot):
    call_command("setup_roles")
    user = factories.UserFactory(username="backoffice")
    user.groups.add(Group.objects.get(name="Back office"))
    room = factories.ResourceFactory(name="Erasmus")
    request = factories.CancellationRequestFactory(
        reservation__title="Sales kick-off", reservation__resource=room
    )
    other = factories.CancellationRequestFactory(
        reservation__title="Board dinner",
        reservation__resource=room,
        reservation__start=request.reservation.end,
        reservation__end=request.reservation.end + dt.timedelta(hours=2),
    )
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 800})

    log_in(page, user)
    page.wait_for_selector("#sync-health")
    screenshot(page, "dashboard.png")
    page.goto("/admin/cancellations/cancellationrequest/")
    page.locator("#result_list tbody tr", has_text="Sales kick-off").locator(
        "input.action-select"
    ).check()
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.wait_for_selector("table.bb-decisions")
    listed = page.inner_text("table.bb-decisions tbody")
    screenshot(page, "cancellation-approve.png")
    page.click("input[type=submit][value^='Yes, cancel']")
    page.wait_for_selector(".messagelist .success")
    message = page.inner_text(".messagelist")
    row = page.inner_text("#result_list tbody tr:last-child")

    assert "Sales kick-off" in listed and "Board dinner" not in listed
    request.refresh_from_db()
    assert message == f"Cancelled {request.reservation}."
    assert (request.state, request.decided_by) == ("approved", user)
    assert request.reservation.status == ReservationStatus.CANCELLED
    assert CancellationRequest.objects.get(pk=other.pk).state == "pending"
    assert "Sales kick-off" in row and "Approved" in row  # decided ones go last
