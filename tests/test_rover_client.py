"""The Rover client against the sandbox over real HTTPS."""

import pytest
import requests

from accounts_pms.rover import RoverClient, RoverConfig, RoverError
from tests.pms_helpers import GEN25_PAYLOAD


@pytest.fixture
def rover(sandbox, sandbox_server):
    return RoverClient(
        RoverConfig(
            api_base_url=f"{sandbox_server.url}/connect/",
            auth_url=f"{sandbox_server.url}/oauth/token",
            client_id="sandbox-rover",
            client_secret="sandbox-secret",
            hotel_id=1,
            api_version="2.0",
        )
    )


def rover_calls(sandbox):
    return [(r["method"], r["path"], r["status"]) for r in sandbox.requests()]


def test_token_is_fetched_once_and_reused(sandbox, rover):
    rover.search_companies("Gen")
    rover.search_companies("North")

    assert rover_calls(sandbox) == [
        ("POST", "/oauth/token", 200),
        ("GET", "/connect/accounts", 200),
        ("GET", "/connect/accounts", 200),
    ]


def test_401_fetches_a_new_token_once(sandbox, rover):
    rover.search_companies("Gen")
    sandbox.expire_rover_tokens()

    assert rover.search_companies("Gen") == {"results": [], "total_count": 0}
    assert rover_calls(sandbox)[1:] == [
        ("GET", "/connect/accounts", 200),
        ("GET", "/connect/accounts", 401),
        ("POST", "/oauth/token", 200),
        ("GET", "/connect/accounts", 200),
    ]


def test_422_surfaces_rovers_message_as_permanent(sandbox, rover):
    with pytest.raises(RoverError) as caught:
        rover.create_account({**GEN25_PAYLOAD, "name": ""})

    error = caught.value
    assert (error.status, error.code, error.message, error.permanent) == (
        422,
        "VALIDATION_ERROR",
        "Name can't be blank",
        True,
    )
    assert sandbox.rover()["accounts"] == []


def test_503_is_retried(sandbox, rover):
    sandbox.fault("^/connect/accounts$", status=503, times=1)

    created = rover.create_account(GEN25_PAYLOAD)

    assert created["name"] == "Gen25"
    assert [c[2] for c in rover_calls(sandbox) if c[1] == "/connect/accounts"] == [503, 201]
    assert len(sandbox.rover()["accounts"]) == 1


def test_bad_credentials_are_a_clear_permanent_error(sandbox, sandbox_server):
    client = RoverClient(
        RoverConfig(
            api_base_url=f"{sandbox_server.url}/connect/",
            auth_url=f"{sandbox_server.url}/oauth/token",
            client_id="sandbox-rover",
            client_secret="wrong",
            hotel_id=1,
            api_version="2.0",
        )
    )

    with pytest.raises(RoverError) as caught:
        client.search_companies("Gen")

    assert (caught.value.status, caught.value.code, caught.value.permanent) == (
        401,
        "invalid_client",
        True,
    )
    assert caught.value.message.startswith("Rover refused the client credentials")


def test_short_search_is_refused_before_any_call(sandbox, rover):
    with pytest.raises(RoverError, match="at least 3 characters"):
        rover.search_companies("Ge")
    assert rover_calls(sandbox) == []


def test_company_posting_account_and_charges(sandbox, rover):
    company = rover.create_account(GEN25_PAYLOAD)
    found = rover.search_companies("FJ4575")
    posting = rover.create_posting_account(
        {"account_id": company["id"], "name": "Reservation 42", "type": "HOUSE"}
    )
    charges = {
        "charges": [
            {
                "reference_text": None,
                "reference_number": None,
                "is_payment": None,
                "charge_code": "410",
                "bill_number": None,
                "amount": 16.0,
            },
            {
                "reference_text": None,
                "reference_number": None,
                "is_payment": None,
                "charge_code": "100101",
                "bill_number": None,
                "amount": 400.0,
            },
        ],
        "datetime": "2018-01-01T10:22:17.041Z",
    }
    rover.post_charges(posting["id"], charges)

    assert found["total_count"] == 1 and found["results"][0]["id"] == company["id"]
    assert posting["hotel_id"] == 1
    assert [(c["charge_code"], c["amount"]) for c in rover.list_charges(posting["id"])] == [
        ("410", 16.0),
        ("100101", 400.0),
    ]


@pytest.mark.parametrize(
    ("with_token", "api_version", "params", "status", "body"),
    [
        (
            False,
            "2.0",
            {"hotel_id": 1},
            401,
            [{"code": "UNAUTHORIZED", "message": "Invalid or expired access token"}],
        ),
        (
            True,
            None,
            {"hotel_id": 1},
            401,
            [{"code": "UNAUTHORIZED", "message": "Missing API Version"}],
        ),
        (True, "2.0", {}, 422, [{"code": "INVALID_PARAMETER", "message": "hotel_id is required"}]),
    ],
    ids=["no token", "no API-Version", "no hotel_id"],
)
def test_sandbox_requires_token_api_version_and_hotel(
    sandbox_server, rover, with_token, api_version, params, status, body
):
    headers = {"Authorization": f"Bearer {rover.token()}"} if with_token else {}
    if api_version:
        headers["API-Version"] = api_version

    answer = requests.get(
        f"{sandbox_server.url}/connect/accounts",
        headers=headers,
        params=params,
        verify=str(sandbox_server.ca_file),
        timeout=10,
    )

    assert (answer.status_code, answer.json()) == (status, body)
