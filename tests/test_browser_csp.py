"""In Chromium, under the Content-Security-Policy: the admin (with its date-range filters),
the planner and the API's documentation page work, and the browser reports no violation."""

import pytest
from django.core.management import call_command

from bookings.models import Location
from tests import factories
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded by the page itself: Playwright's init scripts are not subject to the policy.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_pages_work_under_the_policy_with_no_violation(browser_page):
    # Given the demo's data and a superuser
    call_command("load_demo", force=True)
    user = factories.UserFactory(username="root", is_superuser=True)
    location = Location.objects.order_by("pk").first()
    page = browser_page
    page.add_init_script(WATCH_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, user)

    # When they open a list with date-range filters, the planner and the API's docs
    seen = {}
    page.goto("/admin/syncconnections/companylogentry/")
    seen["date filter"] = page.locator("input[name^='created_at__range__gte']").count()
    violations = page.evaluate("window.__violations")
    page.goto(f"/admin/syncconnections/syncconnection/planner/?location={location.pk}")
    seen["planner"] = page.locator(".bb-planner, table").count()
    violations += page.evaluate("window.__violations")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-tag")  # drawn by its script, from the schema
    seen["API operations"] = page.locator(".swagger-ui .opblock-tag").count()
    violations += page.evaluate("window.__violations")

    # Then each page drew what it shows, and nothing was blocked
    assert all(seen.values()), seen
    assert violations == []
    assert [text for text in console if "Content Security Policy" in text] == []
