"""Sign-in hardening: failed admin sign-ins are throttled per account and per address with a
clear message, an integration admin unlocks, support reads the failures; every page sends a
Content-Security-Policy and a Permissions-Policy."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog

from tests import factories
from tests.helpers import member_of

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery staple"
LOCKED = "signing in is locked for 15 minutes"


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client):
    # Given a member of staff whose password someone guesses five times: the fifth locks
    factories.UserFactory(username="anna")
    for _ in range(4):
        assert sign_in(client, "anna", "wrong").status_code == 200
    assert sign_in(client, "anna", "wrong").status_code == 429

    # When the right password comes next, from another address
    response = sign_in(client, "anna", RIGHT, address="198.51.100.9")

    # Then it is refused with a message that says why and for how long
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # and every failure is in the log support reads, the refused sign-in marked locked out
    log = AccessFailureLog.objects.filter(username="anna").order_by("attempt_time")
    assert [entry.locked_out for entry in log] == [False] * 4 + [True, True]


def test_one_address_guessing_many_accounts_is_locked(client):
    # Given an address that tried five accounts with wrong passwords
    for n in range(5):
        factories.UserFactory(username=f"user{n}")
        sign_in(client, f"user{n}", "wrong")
    factories.UserFactory(username="bert")

    # When it signs in to a sixth with the right password
    response = sign_in(client, "bert", RIGHT)

    # Then it is refused; the same account from another address is let in
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert sign_in(client, "bert", RIGHT, address="198.51.100.9").status_code == 302


def test_an_integration_admin_unlocks_and_support_reads_the_failures(client):
    # Given a locked account
    factories.UserFactory(username="anna")
    for _ in range(5):
        sign_in(client, "anna", "wrong")
    [attempt] = AccessAttempt.objects.filter(username="anna")

    # Support sees the failures and the lock, and may not unlock
    client.force_login(member_of("Support"))
    failures = client.get("/admin/axes/accessfailurelog/")
    assert failures.status_code == 200 and "anna" in failures.content.decode()
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    assert client.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 403

    # When an integration admin deletes the attempts (the unlock)
    client.force_login(member_of("Integration admin"))
    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    client.logout()

    # Then the right password works again
    assert sign_in(client, "anna", RIGHT).status_code == 302
    assert not AccessAttempt.objects.filter(username="anna").exists()


def test_a_right_password_clears_the_count(client):
    factories.UserFactory(username="anna")
    for _ in range(4):
        sign_in(client, "anna", "wrong")
    assert sign_in(client, "anna", RIGHT).status_code == 302
    client.logout()

    for _ in range(4):
        sign_in(client, "anna", "wrong")

    assert sign_in(client, "anna", RIGHT).status_code == 302


@pytest.mark.parametrize("url", ["/admin/login/", "/api/schema/", "/healthz"])
def test_every_page_sends_the_policies(client, url):
    client.force_login(member_of("Support"))

    response = client.get(url)

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    # A page that has an inline script of a library's gives it the request's nonce
    assert policy["script-src"].split()[0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
