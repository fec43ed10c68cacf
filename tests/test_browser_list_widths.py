"""At 1400 px, each list shows the columns its user decides on, without scrolling sideways,
on the demo's data; long addresses and JSON do not make rows tall."""

import pytest
from django.core.management import call_command

from tests import factories
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = {
    "/admin/syncconnections/syncconnection/": ["Valid", "Active", "Last synced at"],
    "/admin/syncconnections/companylogentry/": ["Subject", "When"],
    "/admin/bookings/reservation/": ["Status", "Direction", "Account"],
    "/admin/errors/syncerror/": ["Operation", "Error message", "Resolved"],
    "/admin/cancellations/cancellationrequest/": ["Resource", "State"],
    "/admin/accounts_pms/stayntouchrequest/": ["Operation", "State"],
}


@pytest.mark.parametrize("url", LISTS)
def test_the_deciding_columns_fit_in_1400_px(browser_page, url):
    call_command("load_demo", force=True)
    factories.StayNTouchRequestFactory.create_batch(3)
    user = factories.UserFactory(username="root", is_superuser=True)
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, user)

    page.goto(url)

    headers = page.locator("#result_list thead th")
    right_edges = {
        headers.nth(i).inner_text().strip().lower(): headers.nth(i).bounding_box()["x"]
        + headers.nth(i).bounding_box()["width"]
        for i in range(headers.count())
    }
    for column in LISTS[url]:
        assert right_edges[column.lower()] <= 1400, (column, right_edges)
    rows = page.locator("#result_list tbody tr")
    tallest = max(rows.nth(i).bounding_box()["height"] for i in range(rows.count()))
    assert tallest <= 60, tallest
