"""In a real browser: an integration admin validates and activates a connection."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from syncconnections.models import SyncConnection, UserType
from tests import factories
from tests.helpers import log_in
from tests.sync_helpers import sandbox_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOM = "room.erasmus@contoso.test"


def test_validate_then_activate(sandbox, browser_page):
    call_command("setup_roles")
    admin = factories.UserFactory(username="integration")
    admin.groups.add(Group.objects.get(name="Integration admin"))
    sandbox.mailbox(ROOM)
    connection = SyncConnection.objects.create(
        tenant=sandbox_tenant(),
        user_id=ROOM,
        user_type=UserType.RESOURCE,
        resource=factories.ResourceFactory(name="Erasmus", mailbox_email=ROOM),
    )
    page = browser_page

    log_in(page, admin)
    page.goto(f"/admin/syncconnections/syncconnection/{connection.pk}/change/")
    page.click("button:has-text('Validate')")
    page.wait_for_selector(".messagelist .info")
    validated = page.inner_text(".messagelist")
    page.click("button:has-text('Activate')")
    page.wait_for_selector(".messagelist .success")
    activated = page.inner_text(".messagelist")
    page.goto("/admin/syncconnections/syncconnection/")
    row = page.locator("#result_list tbody tr", has_text=ROOM)
    flags = [
        row.locator(f"td.field-{name} img").get_attribute("alt") for name in ("valid", "active")
    ]

    assert validated.startswith(f"Validation started for {ROOM}.")
    assert activated.startswith(f"Activated {ROOM};")
    assert flags == ["True", "True"]
    connection.refresh_from_db()
    assert (connection.valid, connection.active) == (True, True)
