"""Times in the admin are the site's zone, said beside the field; a browser in another zone
is not told it is "1 hour behind server time" under every date field."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tests import factories
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_server_time_warning_and_the_zone_beside_the_times(browser_page):
    call_command("setup_roles")
    user = factories.UserFactory(username="backoffice")
    user.groups.add(Group.objects.get(name="Back office"))
    page = browser_page
    log_in(page, user)

    page.goto("/admin/bookings/reservation/add/")
    page.wait_for_selector(".datetimeshortcuts")  # the date widgets are set up

    assert page.locator(".timezonewarning").count() == 0
    # Start and end share a row: each says its zone.
    assert page.locator(".field-start .help").all_inner_texts() == ["In Europe/Amsterdam."] * 2
