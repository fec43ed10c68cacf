"""StayNTouch through the API: accounts with their Rover id and "Sync to StayNTouch", the
request log with "Retry callout" — each doing and saying what the admin's action does."""

import pytest

from accounts_pms.models import RoverAccountLink, StayNTouchRequest
from tests import factories
from tests.helpers import client_for, error_of, member_of
from tests.pms_helpers import gen25, rover_calls

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/accounts/"
REQUESTS = "/api/stayntouch-requests/"


def sync(client, account):
    return client.post(f"{ACCOUNTS}{account.pk}/sync-to-stayntouch/")


# --- accounts ------------------------------------------------------------------------------


def test_accounts_show_their_rover_id_once_linked():
    linked = factories.RoverAccountLinkFactory(account__name="A linked", rover_id="9001")
    syncing = factories.RoverAccountLinkFactory(account__name="B syncing", rover_id="")
    factories.AccountFactory(name="C new")

    listed = client_for(member_of("Support")).get(ACCOUNTS).json()["results"]

    assert [(a["name"], a["rover_id"]) for a in listed] == [
        ("A linked", "9001"),
        ("B syncing", None),
        ("C new", None),
    ]
    assert listed[0]["rover_linked_at"] is None  # the factory leaves the time empty
    assert (linked.account_id, syncing.account_id) == (listed[0]["id"], listed[1]["id"])


def test_an_account_reads_with_its_contact_and_address():
    account = gen25()

    body = client_for(member_of("Support")).get(f"{ACCOUNTS}{account.pk}/").json()

    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": account.pk,
        "name": "Gen25",
        "account_number": "FJ4575801",
        "street1": "Gustav Mahlerlaan 350b",
        "street2": "",
        "street3": "",
        "postal_code": "1082ME",
        "city": "Amsterdam",
        "state": "",
        "country": "Nederland",
        "contact_first_name": "John",
        "contact_last_name": "Doe",
        "contact_email": "john@doe.com",
        "contact_phone": "0201234567",
        "contact_job_title": "",
        "rover_id": None,
        "rover_linked_at": None,
    }


def test_sync_to_stayntouch_creates_the_company_and_stores_its_id(sandbox, stayntouch):
    account = gen25()

    response = sync(client_for(member_of("Integration admin")), account)

    [company] = sandbox.rover()["accounts"]
    rover_id = str(company["id"])
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["message"], body["rover_id"]) == (
        True,
        f"Created Gen25 in StayNTouch (Rover id {rover_id}).",
        rover_id,
    )
    assert body["account"]["rover_id"] == rover_id
    assert RoverAccountLink.objects.get(account=account).rover_id == rover_id


def test_missing_data_is_a_409_before_any_callout(sandbox, stayntouch):
    account = gen25(contact_email="")

    response = sync(client_for(member_of("Integration admin")), account)

    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": "Gen25 was not sent to StayNTouch: it has no contact e-mail.",
        "field": None,
        "details": {},
    }
    assert rover_calls(sandbox) == []


def test_rovers_refusal_is_a_409_naming_the_failed_request(sandbox, stayntouch):
    sandbox.fault("/connect/accounts$", status=422, message="Name is too long", times=3)
    account = gen25()

    response = sync(client_for(member_of("Integration admin")), account)

    request = StayNTouchRequest.objects.get()
    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": "Gen25 was not synced: StayNTouch answered 422 ERROR: Name is too long",
        "field": None,
        "details": {"request": request.pk},
    }
    assert request.state == "failed"


def test_without_stayntouch_settings_nothing_is_called():
    response = sync(client_for(member_of("Integration admin")), gen25())

    assert response.status_code == 409
    assert error_of(response)["message"] == "StayNTouch is not set up: add its settings first."


def test_syncing_an_account_needs_its_own_permission():
    account = gen25()

    for role in ("Back office", "Support"):
        response = sync(client_for(member_of(role)), account)
        assert (role, response.status_code, error_of(response)["message"]) == (
            role,
            403,
            "You need the permission accounts_pms.sync_account for this.",
        )
    assert not RoverAccountLink.objects.exists()


# --- the request log -----------------------------------------------------------------------


def test_the_request_log_lists_newest_first_and_an_entry_has_its_bodies():
    first = factories.StayNTouchRequestFactory(operation="find_account", state="failed")
    second = factories.StayNTouchRequestFactory()
    client = client_for(member_of("Support"))

    listed = client.get(REQUESTS).json()["results"]
    failed = client.get(REQUESTS, {"state": "failed"}).json()["results"]
    read = client.get(f"{REQUESTS}{second.pk}/").json()

    assert [r["id"] for r in listed] == [second.pk, first.pk]
    assert [r["id"] for r in failed] == [first.pk]
    assert "request_body" not in listed[0]
    assert (read["request_body"], read["response_body"]) == (
        {"type": "COMPANY", "name": "Gen25"},
        '{"id": 9001}',
    )


def test_retry_callout_runs_a_failed_request_again(sandbox, stayntouch):
    sandbox.fault("/connect/accounts$", status=422, message="Try later", times=1)
    client = client_for(member_of("Integration admin"))
    sync(client, gen25())
    failed = StayNTouchRequest.objects.get()

    response = client.post(f"{REQUESTS}{failed.pk}/retry/")

    failed.refresh_from_db()
    [company] = sandbox.rover()["accounts"]
    assert response.status_code == 200
    assert response.json()["message"] == (
        f"Find company #{failed.pk}: Created Gen25 in StayNTouch (Rover id {company['id']})."
    )
    assert response.json()["request"]["state"] == "succeeded"
    assert (failed.state, failed.attempts) == ("succeeded", 2)


def test_a_request_that_did_not_fail_is_not_retried(sandbox, stayntouch):
    done = StayNTouchRequest.objects.create(operation="find_account", state="succeeded")

    response = client_for(member_of("Integration admin")).post(f"{REQUESTS}{done.pk}/retry/")

    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "message": f"Find company #{done.pk}: {done} is succeeded: not retried.",
        "field": None,
        "details": {"request": done.pk},
    }
    assert rover_calls(sandbox) == []


def test_support_reads_the_request_log_but_cannot_retry():
    failed = factories.StayNTouchRequestFactory(state="failed")
    client = client_for(member_of("Support"))

    read = client.get(f"{REQUESTS}{failed.pk}/")
    retry = client.post(f"{REQUESTS}{failed.pk}/retry/")

    failed.refresh_from_db()
    assert read.status_code == 200
    assert retry.status_code == 403
    assert error_of(retry)["message"] == (
        "You need the permission accounts_pms.retry_callout for this."
    )
    assert (failed.state, failed.attempts) == ("failed", 1)
