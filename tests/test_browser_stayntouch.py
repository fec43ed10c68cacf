"""In a real browser: an integration admin presses "Sync to StayNTouch" on an account."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts_pms.models import RoverAccountLink
from tests import factories
from tests.helpers import log_in
from tests.pms_helpers import gen25, sandbox_stayntouch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sync_an_account_to_stayntouch(sandbox, sandbox_server, browser_page, screenshot):
    call_command("setup_roles")
    user = factories.UserFactory(username="integration")
    user.groups.add(Group.objects.get(name="Integration admin"))
    sandbox_stayntouch(sandbox_server)
    account = gen25()
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})

    log_in(page, user)
    page.goto(f"/admin/bookings/account/{account.pk}/change/")
    page.click("button:has-text('Sync to StayNTouch')")
    page.wait_for_selector(".messagelist .success")
    message = page.inner_text(".messagelist")
    shown_id = page.inner_text(".field-rover_id .readonly")
    screenshot(page, "stayntouch-sync.png")

    [company] = sandbox.rover()["accounts"]
    assert message == f"Created Gen25 in StayNTouch (Rover id {company['id']})."
    assert shown_id == str(company["id"])
    assert RoverAccountLink.objects.get(account=account).rover_id == str(company["id"])
