"""The StayNTouch admin: Test the settings, Retry callout, and the request log."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts_pms.models import StayNTouchRequest
from tests import factories
from tests.helpers import messages_of
from tests.pms_helpers import gen25, rover_calls, sandbox_stayntouch

pytestmark = pytest.mark.django_db


def run(client, model, pk, action):
    url = reverse(f"admin:accounts_pms_{model}_run", args=[pk, action])
    return client.post(url, follow=True)


def test_test_signs_in_and_says_so(sandbox, sandbox_server, admin_client):
    stayntouch = sandbox_stayntouch(sandbox_server)

    shown = messages_of(run(admin_client, "stayntouchsettings", stayntouch.pk, "test_credentials"))

    assert shown == [
        f"Signed in to StayNTouch at {sandbox_server.url}/oauth/token as sandbox-rover: "
        "the credentials work."
    ]
    assert [r["path"] for r in sandbox.requests()] == ["/oauth/token"]


def test_test_reports_refused_credentials(sandbox, sandbox_server, admin_client):
    stayntouch = sandbox_stayntouch(sandbox_server, client_secret="wrong")

    shown = messages_of(run(admin_client, "stayntouchsettings", stayntouch.pk, "test_credentials"))

    [message] = shown
    assert message.startswith(
        f"StayNTouch refused the sign-in at {sandbox_server.url}/oauth/token: 401"
    )
    assert "Rover refused the client credentials" in message


def test_retry_callout_runs_a_failed_request_again(sandbox, sandbox_server, admin_client):
    sandbox_stayntouch(sandbox_server)
    sandbox.fault("/connect/accounts$", status=422, message="Try later", times=1)
    account = gen25()
    admin_client.post(
        reverse("admin:bookings_account_run", args=[account.pk, "sync_to_stayntouch"]),
        follow=True,
    )
    failed = StayNTouchRequest.objects.get()

    shown = messages_of(run(admin_client, "stayntouchrequest", failed.pk, "retry_callout"))

    failed.refresh_from_db()
    [company] = sandbox.rover()["accounts"]
    assert shown == [
        f"Find company #{failed.pk}: Created Gen25 in StayNTouch (Rover id {company['id']})."
    ]
    assert (failed.state, failed.attempts) == ("succeeded", 2)


def test_a_succeeded_request_is_not_retried(sandbox, sandbox_server, admin_client):
    sandbox_stayntouch(sandbox_server)
    done = StayNTouchRequest.objects.create(operation="find_account", state="succeeded")

    shown = messages_of(run(admin_client, "stayntouchrequest", done.pk, "retry_callout"))

    assert shown == [f"Find company #{done.pk}: {done} is succeeded: not retried."]
    assert rover_calls(sandbox) == []


def test_support_reads_the_request_log_but_cannot_retry(client):
    call_command("setup_roles")
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    failed = StayNTouchRequest.objects.create(operation="find_account", state="failed")

    page = client.get(reverse("admin:accounts_pms_stayntouchrequest_change", args=[failed.pk]))
    forged = client.post(
        reverse("admin:accounts_pms_stayntouchrequest_run", args=[failed.pk, "retry_callout"])
    )

    assert page.status_code == 200
    assert page.context["object_actions"] == []
    assert forged.status_code == 403
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("failed", 0)


def test_the_retry_button_shows_on_failed_requests_only(admin_client):
    failed = StayNTouchRequest.objects.create(operation="post_charges", state="failed")
    done = StayNTouchRequest.objects.create(operation="post_charges", state="succeeded")

    def buttons(request):
        url = reverse("admin:accounts_pms_stayntouchrequest_change", args=[request.pk])
        return [name for name, _ in admin_client.get(url).context["object_actions"]]

    assert buttons(failed) == ["retry_callout"]
    assert buttons(done) == []


def test_the_sync_action_checks_its_permission_itself(rf):
    from django.contrib.admin import site
    from django.core.exceptions import PermissionDenied

    from bookings.models import Account

    request = rf.post("/")
    request.user = factories.UserFactory(is_staff=True)
    account = gen25()

    with pytest.raises(PermissionDenied):
        site._registry[Account].sync_to_stayntouch(request, Account.objects.filter(pk=account.pk))
    assert not StayNTouchRequest.objects.exists()
