""" "Sync to StayNTouch": an account is linked to its Rover company, or the company is made."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts_pms.accounts import sync_account
from accounts_pms.models import RoverAccountLink, StayNTouchRequest
from tests import factories
from tests.helpers import messages_of
from tests.pms_helpers import GEN25_PAYLOAD, gen25, rover_calls

pytestmark = pytest.mark.django_db


def press(client, account):
    url = reverse("admin:bookings_account_run", args=[account.pk, "sync_to_stayntouch"])
    response = client.post(url, follow=True)
    return messages_of(response)


def test_a_company_rover_lacks_is_created_with_the_documented_payload(sandbox, stayntouch):
    account = gen25()

    result = sync_account(account)

    [company] = sandbox.rover()["accounts"]
    assert {k: v for k, v in company.items() if k != "id"} == GEN25_PAYLOAD
    link = RoverAccountLink.objects.get(account=account)
    assert link.rover_id == str(company["id"])
    assert link.linked_at is not None
    assert result.message == f"Created Gen25 in StayNTouch (Rover id {company['id']})."
    assert rover_calls(sandbox) == [
        ("GET", "/connect/accounts"),  # by account number
        ("GET", "/connect/accounts"),  # by name
        ("POST", "/connect/accounts"),
    ]
    find, create = StayNTouchRequest.objects.order_by("pk")
    assert (find.operation, find.state, find.status_code) == ("find_account", "succeeded", 200)
    assert (create.operation, create.state, create.status_code) == (
        "create_account",
        "succeeded",
        201,
    )
    assert create.request_body == GEN25_PAYLOAD
    assert create.duration_ms is not None


def test_a_company_found_by_account_number_is_linked_not_created(sandbox, stayntouch):
    sandbox.seed(rover_accounts=[{"name": "Gen 25 B.V.", "account_number": "FJ4575801"}])
    [existing] = sandbox.rover()["accounts"]
    account = gen25()

    result = sync_account(account)

    assert len(sandbox.rover()["accounts"]) == 1
    assert RoverAccountLink.objects.get(account=account).rover_id == str(existing["id"])
    assert result.message == f"Linked Gen25 to the existing StayNTouch company {existing['id']}."
    assert rover_calls(sandbox) == [("GET", "/connect/accounts")]


def test_a_company_found_by_its_exact_name_is_linked(sandbox, stayntouch):
    sandbox.seed(rover_accounts=[{"name": "Gen25 Holding"}, {"name": "gen25"}])
    exact = next(a for a in sandbox.rover()["accounts"] if a["name"] == "gen25")
    account = gen25(account_number="")

    sync_account(account)

    assert RoverAccountLink.objects.get(account=account).rover_id == str(exact["id"])
    assert len(sandbox.rover()["accounts"]) == 2


def test_pressing_twice_never_makes_a_second_company(sandbox, stayntouch, admin_client):
    account = gen25()

    first = press(admin_client, account)
    calls_after_first = len(rover_calls(sandbox))
    second = press(admin_client, account)

    [company] = sandbox.rover()["accounts"]
    assert first == [f"Created Gen25 in StayNTouch (Rover id {company['id']})."]
    assert second == [f"Gen25 is already in StayNTouch (Rover id {company['id']})."]
    assert len(rover_calls(sandbox)) == calls_after_first
    assert (
        "Gen25" in admin_client.get(reverse("admin:bookings_account_changelist")).content.decode()
    )


def test_a_sync_in_progress_is_not_started_again(sandbox, stayntouch):
    account = gen25()
    RoverAccountLink.objects.create(account=account)  # another press, still talking to Rover

    result = sync_account(account)

    assert result.message == "Gen25 is being synced right now; try again soon."
    assert rover_calls(sandbox) == []


def test_missing_data_is_named_before_any_callout(sandbox, stayntouch, admin_client):
    account = gen25(contact_email="", contact_last_name="")

    shown = press(admin_client, account)

    assert shown == [
        "Gen25 was not sent to StayNTouch: it has no contact last name, no contact e-mail."
    ]
    assert rover_calls(sandbox) == []
    assert StayNTouchRequest.objects.count() == 0
    assert not RoverAccountLink.objects.exists()


def test_rovers_validation_message_is_shown_and_logged(sandbox, stayntouch, admin_client):
    sandbox.fault("/connect/accounts$", status=422, message="Name is too long", times=3)
    account = gen25()

    shown = press(admin_client, account)

    request = StayNTouchRequest.objects.get()
    assert shown == ["Gen25 was not synced: StayNTouch answered 422 ERROR: Name is too long"]
    assert (request.operation, request.state, request.status_code) == (
        "find_account",
        "failed",
        422,
    )
    assert request.error_message == "422 ERROR: Name is too long"
    assert not RoverAccountLink.objects.exists()  # released: the next press starts afresh


def test_support_cannot_sync_and_a_forged_post_is_refused(sandbox, stayntouch, client):
    call_command("setup_roles")
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    account = gen25()

    response = client.post(
        reverse("admin:bookings_account_run", args=[account.pk, "sync_to_stayntouch"])
    )

    assert response.status_code == 403
    assert rover_calls(sandbox) == []
