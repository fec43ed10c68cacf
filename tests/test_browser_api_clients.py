"""An integration admin's morning in Chromium: on the demo's data, they make an API client for
the billing system, hand over its credentials, rotate its secret, and revoke its tokens; the
billing system signs in over HTTP meanwhile; support reads what it did in the API audit log.
All under the Content-Security-Policy, with no violation."""

import re

import pytest
import requests
from django.core.management import call_command

from bookings.models import Reservation
from tests.helpers import log_in, member_of
from tests.test_browser_csp import WATCH_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown(page, element_id):
    return page.locator(f"#{element_id}").inner_text().strip()


def get_token(base, client_id, secret):
    return requests.post(
        f"{base}/api/oauth/token/",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=30,
    )


def test_an_api_client_made_rotated_and_revoked_in_the_admin(browser_page, live_server):
    # Given the demo's data and an integration admin
    call_command("load_demo", force=True)
    admin = member_of("Integration admin")
    base = live_server.url
    page = browser_page
    page.add_init_script(WATCH_VIOLATIONS)
    log_in(page, admin)

    # When they add an API client acting as Support
    page.goto("/admin/api/apiclient/add/")
    page.fill("#id_name", "Billing")
    page.select_option("#id_role", label="Support")
    page.fill("#id_allowed_addresses", "127.0.0.1")
    page.click("input[name=_save]")
    page.wait_for_selector("#client-secret")
    client_id, secret = shown(page, "client-id"), shown(page, "client-secret")
    violations = page.evaluate("window.__violations")

    # Then the billing system gets a token with them and reads, but may not book
    token = get_token(base, client_id, secret)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = requests.get(f"{base}/api/reservations/", headers=bearer, timeout=30)
    assert listed.status_code == 200
    assert listed.json()["count"] == Reservation.objects.count() > 0
    booked = requests.post(f"{base}/api/reservations/", json={}, headers=bearer, timeout=30)
    assert booked.status_code == 403

    # And the secret is not shown again: the client's page has the id only
    page.goto("/admin/api/apiclient/")
    page.click("text=Billing")
    page.wait_for_selector(".field-client_id")
    assert client_id in page.content() and secret not in page.content()

    # When they rotate the secret, keeping the old one for an hour
    page.click("button[value=rotate_secret]")
    page.fill("#id_grace_hours", "1")
    page.click("input[value='Rotate secret']")
    page.wait_for_selector("#client-secret")
    new_secret = shown(page, "client-secret")
    assert "The previous secret keeps working until" in page.content()
    violations += page.evaluate("window.__violations")

    # Then both secrets get tokens, for now
    assert new_secret != secret
    assert get_token(base, client_id, secret).status_code == 200
    assert get_token(base, client_id, new_secret).status_code == 200

    # When they revoke the client's tokens
    page.goto("/admin/api/apiclient/")
    page.click("text=Billing")
    page.wait_for_selector(".field-client_id")
    page.click("button[value=revoke_tokens]")
    page.wait_for_selector(".messagelist")
    assert re.search(r"Revoked \d token\(s\) of 1 client\(s\)\.", page.content())

    # Then the token the billing system holds no longer works
    refused = requests.get(f"{base}/api/reservations/", headers=bearer, timeout=30)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "The access token is invalid."

    # And support reads the refused booking in the API audit log
    page.context.clear_cookies()
    log_in(page, member_of("Support"))
    page.goto("/admin/api/apiauditentry/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    cells = {
        name: rows.first.locator(f".field-{name}").inner_text()
        for name in ("kind", "client_name", "address", "method", "path", "status", "detail")
    }
    assert cells == {
        "kind": "Write",
        "client_name": "Billing",
        "address": "127.0.0.1",
        "method": "POST",
        "path": "/api/reservations/",
        "status": "403",
        "detail": "You need the permission bookings.add_reservation for this.",
    }
    violations += page.evaluate("window.__violations")
    assert violations == []
