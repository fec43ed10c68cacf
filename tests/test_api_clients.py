"""API clients: OAuth2 client credentials through the real token endpoint (RFC 6749 4.4),
bearer tokens on the API, secrets and tokens never stored in clear, rotation, allowed
addresses, the token endpoint's rate limit, the audit log, the admin and the command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from api import clients
from api.models import ApiAuditEntry, ApiClient
from api.tasks import purge_api_audit
from api.throttling import TokenRequestThrottle
from bookings.models import Reservation
from tests import factories
from tests.helpers import basic_auth, error_of, member_of

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/oauth/token/"
RESERVATIONS = "/api/reservations/"


def a_client(role="Support", name="Billing", **fields):
    call_command("setup_roles")
    return clients.create(name, group=Group.objects.get(name=role), **fields)


def ask_token(client_id, secret, *, basic=True, **extra):
    form = {"grant_type": "client_credentials", **extra.pop("form", {})}
    if basic:
        return Client().post(
            TOKEN_URL, form, HTTP_AUTHORIZATION=basic_auth(client_id, secret), **extra
        )
    return Client().post(
        TOKEN_URL, {**form, "client_id": client_id, "client_secret": secret}, **extra
    )


def bearer(token, **extra):
    api = APIClient(**extra)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def refused_entries():
    return list(
        ApiAuditEntry.objects.filter(kind="refused")
        .order_by("id")
        .values_list("client_name", "status", "detail")
    )


# --- the client-credentials flow ------------------------------------------------------------


def test_the_right_secret_gets_a_bearer_token_for_an_hour_that_reads_the_api():
    factories.ReservationFactory(title="Board meeting")
    client, secret = a_client()

    answer = ask_token(client.client_id, secret)

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "api")
    assert answer["Cache-Control"].startswith("no-store")
    listed = bearer(body["access_token"]).get(RESERVATIONS)
    assert listed.status_code == 200
    assert [r["title"] for r in listed.json()["results"]] == ["Board meeting"]
    stored = AccessToken.objects.get()
    assert (stored.user_id, stored.application_id) == (client.user_id, client.application_id)


def test_the_credentials_may_come_in_the_form_instead_of_basic_auth():
    client, secret = a_client()

    answer = ask_token(client.client_id, secret, basic=False)

    assert answer.status_code == 200
    assert bearer(answer.json()["access_token"]).get(RESERVATIONS).status_code == 200


@pytest.mark.parametrize("basic", [True, False], ids=["basic", "form"])
def test_a_wrong_secret_is_a_401_invalid_client_and_audited(basic):
    client, _ = a_client()

    answer = ask_token(client.client_id, "not-the-secret", basic=basic)

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Basic realm="api"'
    assert answer.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0
    assert refused_entries() == [("Billing", 401, "Token refused: wrong secret.")]


def test_an_unknown_client_is_a_401_invalid_client():
    answer = ask_token("no-such-client", "whatever")

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert refused_entries() == [("no-such-client", 401, "Token refused: unknown client.")]


def test_an_inactive_client_gets_no_token_and_its_tokens_stop():
    client, secret = a_client()
    token = ask_token(client.client_id, secret).json()["access_token"]

    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    answer = ask_token(client.client_id, secret)
    used = bearer(token).get(RESERVATIONS)

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert used.status_code == 401
    assert error_of(used)["message"] == "The access token is refused: client inactive."
    assert refused_entries() == [
        ("Billing", 401, "Token refused: client inactive."),
        ("Billing", 401, "Token refused: client inactive."),
    ]


def test_an_expired_token_is_a_401_saying_so():
    client, secret = a_client()
    token = ask_token(client.client_id, secret).json()["access_token"]

    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    used = bearer(token).get(RESERVATIONS)

    assert used.status_code == 401
    assert error_of(used)["message"] == "The access token has expired."
    assert 'error="invalid_token"' in used["WWW-Authenticate"]


def test_a_token_in_the_query_string_is_not_accepted():
    client, secret = a_client()
    token = ask_token(client.client_id, secret).json()["access_token"]

    used = APIClient().get(RESERVATIONS, {"access_token": token})

    assert used.status_code == 401
    assert error_of(used)["message"] == "Authentication credentials were not provided."


def test_a_token_revoked_by_its_client_stops_at_once():
    client, secret = a_client()
    token = ask_token(client.client_id, secret).json()["access_token"]

    revoked = Client().post(
        "/api/oauth/revoke/",
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )
    used = bearer(token).get(RESERVATIONS)

    assert revoked.status_code == 200
    assert AccessToken.objects.count() == 0
    assert used.status_code == 401
    assert error_of(used)["message"] == "The access token is invalid."


def test_a_client_cannot_revoke_another_clients_token():
    billing, billing_secret = a_client(name="Billing")
    other, other_secret = a_client(name="Other")
    token = ask_token(billing.client_id, billing_secret).json()["access_token"]

    Client().post(
        "/api/oauth/revoke/",
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(other.client_id, other_secret),
    )

    assert bearer(token).get(RESERVATIONS).status_code == 200


@pytest.mark.parametrize(
    "form, error",
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
    ],
)
def test_another_grant_type_is_a_400_in_the_rfcs_shape(form, error):
    client, secret = a_client()

    answer = Client().post(TOKEN_URL, form, HTTP_AUTHORIZATION=basic_auth(client.client_id, secret))

    assert answer.status_code == 400
    assert answer.json()["error"] == error
    assert answer.json()["error_description"]
    assert AccessToken.objects.count() == 0


def test_the_token_endpoint_takes_post_only():
    answer = Client().get(TOKEN_URL)

    assert answer.status_code == 405
    assert answer.json()["error"] == "invalid_request"


def test_a_client_acting_as_support_reads_but_cannot_write_and_the_write_is_audited():
    resource = factories.ResourceFactory()
    client, secret = a_client("Support")
    api = bearer(ask_token(client.client_id, secret).json()["access_token"])

    answer = api.post(RESERVATIONS, {"title": "x", "resource": resource.pk}, format="json")

    assert answer.status_code == 403
    assert (
        error_of(answer)["message"] == "You need the permission bookings.add_reservation for this."
    )
    assert Reservation.objects.count() == 0
    entry = ApiAuditEntry.objects.get()
    assert entry.detail == "You need the permission bookings.add_reservation for this."
    assert (
        entry.kind,
        entry.client_id,
        entry.client_name,
        entry.method,
        entry.path,
        entry.status,
    ) == (
        "write",
        client.pk,
        "Billing",
        "POST",
        RESERVATIONS,
        403,
    )


def test_a_back_office_clients_write_is_done_and_audited_with_what_it_made():
    resource = factories.ResourceFactory()
    client, secret = a_client("Back office")
    api = bearer(ask_token(client.client_id, secret).json()["access_token"])
    start = timezone.now() + timedelta(days=1)

    made = api.post(
        RESERVATIONS,
        {
            "title": "Board meeting",
            "resource": resource.pk,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    api.get(RESERVATIONS)  # reads are not audited

    assert made.status_code == 201, made.json()
    entry = ApiAuditEntry.objects.get()
    assert (entry.kind, entry.status, entry.detail, entry.address) == (
        "write",
        201,
        f"id {made.json()['id']}",
        "127.0.0.1",
    )


def test_a_staff_members_session_writes_are_not_in_the_api_audit():
    api = APIClient()
    api.force_login(member_of("Support"))

    api.post(RESERVATIONS, {"title": "x"}, format="json")

    assert ApiAuditEntry.objects.count() == 0


def test_using_the_client_notes_when_it_was_last_used():
    client, secret = a_client()
    assert client.last_used_at is None

    token = ask_token(client.client_id, secret).json()["access_token"]
    client.refresh_from_db()
    first = client.last_used_at
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=first - timedelta(minutes=5))
    bearer(token).get(RESERVATIONS)
    client.refresh_from_db()

    assert first is not None
    assert client.last_used_at > first - timedelta(minutes=5)
    # Within the minute, a request writes nothing more to the client's row
    with CaptureQueriesContext(connection) as queries:
        assert bearer(token).get(RESERVATIONS).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


# --- nothing in clear -----------------------------------------------------------------------


def every_stored_text():
    """Every value of every column of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


def test_no_secret_or_token_is_readable_in_the_database():
    client, secret = a_client()
    token = ask_token(client.client_id, secret).json()["access_token"]
    rotated = clients.new_secret(client, grace=timedelta(hours=1))
    second = ask_token(client.client_id, rotated).json()["access_token"]

    stored = every_stored_text()

    assert client.client_id in stored  # the reading does find what is in clear
    for clear in (secret, rotated, token, second):
        assert not [value for value in stored if clear in value]
    assert AccessToken.objects.filter(token="").count() == 2


def test_the_retired_drf_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


# --- rotation -------------------------------------------------------------------------------


def test_a_rotated_secret_keeps_working_for_its_grace_then_stops():
    client, old = a_client()

    new = clients.new_secret(client, grace=timedelta(hours=2))

    assert ask_token(client.client_id, new).status_code == 200
    assert ask_token(client.client_id, old).status_code == 200
    ApiClient.objects.filter(pk=client.pk).update(
        previous_secret_valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert ask_token(client.client_id, old).status_code == 401
    assert ask_token(client.client_id, new).status_code == 200


def test_new_credentials_without_grace_stop_the_old_secret_at_once():
    client, old = a_client()

    new = clients.new_secret(client)

    assert ask_token(client.client_id, old).status_code == 401
    assert ask_token(client.client_id, new).status_code == 200


# --- allowed addresses ----------------------------------------------------------------------


def test_a_client_is_refused_from_an_address_it_may_not_use():
    client, secret = a_client(allowed_addresses="203.0.113.0/24\n2001:db8::1")

    inside = ask_token(client.client_id, secret, REMOTE_ADDR="203.0.113.9")
    outside = ask_token(client.client_id, secret, REMOTE_ADDR="198.51.100.4")
    token = inside.json()["access_token"]
    used_inside = bearer(token, REMOTE_ADDR="203.0.113.10").get(RESERVATIONS)
    used_outside = bearer(token, REMOTE_ADDR="198.51.100.4").get(RESERVATIONS)

    assert (inside.status_code, outside.status_code) == (200, 401)
    assert used_inside.status_code == 200
    assert used_outside.status_code == 401
    assert error_of(used_outside)["message"] == (
        "The access token is refused: address 198.51.100.4 not allowed."
    )
    assert refused_entries() == [
        ("Billing", 401, "Token refused: address 198.51.100.4 not allowed."),
        ("Billing", 401, "Token refused: address 198.51.100.4 not allowed."),
    ]


def test_an_allow_list_entry_that_is_no_address_is_refused_naming_it():
    with pytest.raises(Exception) as refused:
        clients.parse_networks("203.0.113.7\nintranet\n10.0.0.0/33")

    assert refused.value.messages == [
        "Not an address or network (such as 203.0.113.7 or 203.0.113.0/24): intranet, 10.0.0.0/33."
    ]


# --- the token endpoint's rate limit --------------------------------------------------------


def test_too_many_token_requests_from_one_address_are_a_429(settings, monkeypatch):
    settings.API_TOKEN_RATE_LIMIT = "3/minute"
    monkeypatch.setattr(TokenRequestThrottle, "timer", lambda self: 1_000_000.0)  # no time passes
    client, secret = a_client()

    statuses = [ask_token(client.client_id, "wrong").status_code for _ in range(3)]
    limited = ask_token(client.client_id, secret)
    elsewhere = ask_token(client.client_id, secret, REMOTE_ADDR="127.0.0.2")

    assert statuses == [401, 401, 401]
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert limited.json() == {
        "error": "too_many_requests",
        "error_description": "Too many token requests from this address; try again in 60 seconds.",
    }
    assert elsewhere.status_code == 200
    assert len(refused_entries()) == 3  # the refused fourth checked no secret


# --- the command ----------------------------------------------------------------------------


def test_create_api_client_prints_credentials_once_that_work():
    call_command("setup_roles")
    out = StringIO()

    call_command(
        "create_api_client", "Billing", "--group", "Support", "--allow", "127.0.0.1", stdout=out
    )

    lines = out.getvalue().splitlines()
    client_id = lines[0].removeprefix("client id:").strip()
    secret = lines[1].removeprefix("client secret:").strip()
    assert lines[2] == "The secret is shown only this once; keep it as you would a password."
    client = ApiClient.objects.get()
    assert (client.name, client.client_id, client.allowed_addresses) == (
        "Billing",
        client_id,
        "127.0.0.1",
    )
    assert [g.name for g in client.user.groups.all()] == ["Support"]
    assert not client.user.has_usable_password()
    assert ask_token(client_id, secret).status_code == 200


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["Billing", "--group", "Nobody"],
            "No role 'Nobody'. Roles: Back office, Integration admin, Support.",
        ),
        (
            ["Billing", "--group", "Support", "--allow", "intranet"],
            "Not an address or network (such as 203.0.113.7 or 203.0.113.0/24): intranet.",
        ),
    ],
)
def test_create_api_client_refuses_bad_input_in_one_line(args, message):
    call_command("setup_roles")

    with pytest.raises(CommandError) as refused:
        call_command("create_api_client", *args, stdout=StringIO())

    assert str(refused.value) == message
    assert ApiClient.objects.count() == 0


def test_create_api_client_refuses_a_name_in_use():
    a_client(name="Billing")

    with pytest.raises(CommandError) as refused:
        call_command("create_api_client", "Billing", "--group", "Support", stdout=StringIO())

    assert str(refused.value) == "An API client named 'Billing' exists already."


# --- keeping the audit log and the token table small ---------------------------------------


def test_the_daily_purge_drops_old_audit_entries_and_expired_tokens(settings):
    settings.API_AUDIT_KEPT_DAYS = 30
    client, secret = a_client()
    ask_token(client.client_id, secret)
    ask_token(client.client_id, secret)
    AccessToken.objects.filter(pk=AccessToken.objects.order_by("pk").first().pk).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    now = timezone.now()
    for days in (31, 40, 29, 0):
        factories.ApiAuditEntryFactory(client=client, at=now - timedelta(days=days))

    purged = purge_api_audit()

    assert purged == 2
    assert sorted((now - e.at).days for e in ApiAuditEntry.objects.all()) == [0, 29]
    assert AccessToken.objects.count() == 1
