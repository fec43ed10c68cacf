"""Bodies that cannot be read get a clear 400 in the endpoint's error shape, never a 5xx, and
change nothing: over real HTTP, at the webhooks Graph calls and at the API."""

import json

import pytest
import requests
from django_q.models import OrmQ

from syncconnections.models import IgnoredNotification, SyncRequest
from tests.helpers import bearer_token

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = {
    "nested 100,000 deep": b"[" * 100_000,
    "nested objects": b'{"value": ' * 50_000,
    "not UTF-8": b'{"value": ["\xff\xfe"]}',
    "not JSON": b"<xml/>",
    "too large": b'{"value": [' + b'{"a": "' + b"x" * 3_000_000 + b'"}]}',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", ["/graph/notifications/", "/graph/lifecycle/"])
def test_the_webhooks_answer_an_unreadable_body_with_a_clear_400(live_server, path, body):
    answer = requests.post(
        f"{live_server.url}{path}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert answer.status_code == 400
    assert set(answer.json()) == {"error"}
    assert answer.json()["error"].startswith("The body ")
    assert (SyncRequest.objects.count(), OrmQ.objects.count()) == (0, 0)
    assert IgnoredNotification.objects.count() == 0


@pytest.mark.parametrize("body", [HOSTILE["nested 100,000 deep"], HOSTILE["nested objects"]])
def test_the_api_answers_a_body_nested_too_deeply_with_a_clear_400(live_server, body):
    token = bearer_token("Back office")

    answer = requests.post(
        f"{live_server.url}/api/reservations/",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "status": 400,
            "message": "JSON parse error - nested too deeply.",
            "field": None,
            "details": {},
        }
    }


def test_a_well_formed_notification_still_gets_through(live_server):
    answer = requests.post(
        f"{live_server.url}/graph/notifications/",
        data=json.dumps({"value": []}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert answer.status_code == 202
