"""Validate, Activate and Deactivate: each stage's failure recorded exactly, each action
guarded by its own permission."""

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from errors.models import SyncError
from syncconnections import connection_setup
from syncconnections.models import SyncConnection, UserType
from tests import factories
from tests.helpers import member_of, messages_of
from tests.sync_helpers import at

pytestmark = pytest.mark.django_db
ROOM = "room.maas@contoso.test"


def connection_for(tenant, user_id=ROOM, **fields):
    fields.setdefault("resource", factories.ResourceFactory(mailbox_email=user_id))
    return SyncConnection.objects.create(
        tenant=tenant, user_id=user_id, user_type=UserType.RESOURCE, **fields
    )


def test_a_valid_mailbox_gets_its_calendar_and_activates_when_asked(sandbox, tenant):
    sandbox.mailbox(ROOM)
    connection = connection_for(tenant, activate_after_validation=True)

    result = connection_setup.validate(connection.pk)

    connection.refresh_from_db()
    calendar = [r for r in sandbox.requests() if r["path"].endswith("/calendar")]
    assert result.valid and (connection.valid, connection.active) == (True, True)
    assert connection.calendar_id and len(calendar) == 1
    assert connection.last_validated_at is not None


def test_a_named_calendar_is_found_by_name(sandbox, tenant):
    sandbox.mailbox("anna@contoso.test", kind="user", calendars=["Room bookings"])
    staff = factories.StaffFactory(email="anna@contoso.test")
    connection = SyncConnection.objects.create(
        tenant=tenant, user_id="anna@contoso.test", staff=staff, calendar_name="Room bookings"
    )

    assert connection_setup.validate(connection.pk).valid
    connection.refresh_from_db()
    assert connection.active is False  # not asked to activate


@pytest.mark.parametrize(
    ("stage", "status", "message"),
    [
        (
            "domain check",
            None,
            "room.maas@fabrikam.test is not in the e-mail domains of Contoso (contoso.test).",
        ),
        (
            "get user",
            404,
            "Resource 'room.maas@contoso.test' does not exist or one of its queried "
            "reference-property objects are not present.",
        ),
        ("find calendar", 404, "No calendar named “Bookings” in room.maas@contoso.test."),
    ],
)
def test_each_failing_stage_is_recorded_exactly(sandbox, tenant, stage, status, message):
    user_id = "room.maas@fabrikam.test" if stage == "domain check" else ROOM
    if stage == "find calendar":
        sandbox.mailbox(ROOM)
    connection = connection_for(
        tenant, user_id=user_id, calendar_name=("Bookings" if stage == "find calendar" else "")
    )
    SyncConnection.objects.filter(pk=connection.pk).update(valid=True, calendar_id="old")

    result = connection_setup.validate(connection.pk)

    connection.refresh_from_db()
    error = SyncError.objects.get()
    assert (result.valid, connection.valid, connection.active, connection.calendar_id) == (
        False,
        False,
        False,
        "",
    )
    assert (
        error.operation,
        error.stage,
        error.status_code,
        error.error_message,
        error.sync_connection,
    ) == ("connection_setup", stage, status, message, connection)
    assert bool(error.request_id) == (stage == "get user")


def test_a_temporary_failure_leaves_the_connection_as_it_was(sandbox, tenant):
    sandbox.mailbox(ROOM)
    connection = connection_for(tenant)
    assert connection_setup.validate(connection.pk).valid
    sandbox.fault(f"/users/{ROOM}$", status=500, times=1)

    result = connection_setup.validate(connection.pk)

    connection.refresh_from_db()
    assert (result.valid, result.temporary, connection.valid) == (False, True, True)
    assert SyncError.objects.get().status_code == 500


def test_success_resolves_earlier_setup_errors(sandbox, tenant):
    connection = connection_for(tenant)
    connection_setup.validate(connection.pk)  # mailbox missing: fails
    sandbox.mailbox(ROOM)

    connection_setup.validate(connection.pk)

    assert list(SyncError.objects.values_list("resolved", flat=True)) == [True]


def run(client, connection, action):
    return client.post(
        reverse("admin:syncconnections_syncconnection_run", args=[connection.pk, action]),
        follow=True,
    )


def test_validate_and_activate_buttons(sandbox, tenant, client):
    sandbox.mailbox(ROOM)
    connection = connection_for(tenant)
    factories.ReservationFactory(resource=connection.resource, start=at(20, 9), end=at(20, 10))
    client.force_login(member_of("Integration admin"))

    validated = run(client, connection, "validate_selected")
    activated = run(client, connection, "activate_selected")

    connection.refresh_from_db()
    assert (connection.valid, connection.active) == (True, True)
    assert messages_of(validated) == [
        f"Validation started for {ROOM}. The result shows in “Valid” and, if it fails, in the "
        "sync errors."
    ]
    assert messages_of(activated) == [
        f"Activated {ROOM}; 1 future reservations are being sent to Outlook."
    ]
    assert len(sandbox.events(ROOM)) == 1


def test_activate_refuses_an_invalid_connection_by_name(sandbox, tenant, admin_client):
    connection = connection_for(tenant)

    response = admin_client.post(
        reverse("admin:syncconnections_syncconnection_changelist"),
        {"action": "activate_selected", "_selected_action": [connection.pk]},
        follow=True,
    )

    connection.refresh_from_db()
    assert connection.active is False
    assert messages_of(response) == [f"Not activated, because not valid: {ROOM}. Validate first."]


def test_deactivate_stops_syncing(sandbox, tenant, admin_client):
    sandbox.mailbox(ROOM)
    connection = connection_for(tenant, activate_after_validation=True)
    connection_setup.validate(connection.pk)

    run(admin_client, connection, "deactivate_selected")
    factories.ReservationFactory(resource=connection.resource, start=at(21, 9), end=at(21, 10))

    connection.refresh_from_db()
    assert connection.active is False
    assert sandbox.events(ROOM) == []


@pytest.mark.parametrize(
    "action", ["validate_selected", "activate_selected", "deactivate_selected"]
)
def test_each_action_needs_its_own_permission(tenant, client, action):
    connection = connection_for(tenant)
    viewer = factories.UserFactory()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_syncconnection", "change_syncconnection"])
    )
    client.force_login(viewer)

    response = run(client, connection, action)
    page = client.get(reverse("admin:syncconnections_syncconnection_change", args=[connection.pk]))

    assert response.status_code == 403
    assert page.context["object_actions"] == []


def test_a_new_connection_in_the_admin_is_validated_by_itself(sandbox, tenant, admin_client):
    sandbox.mailbox(ROOM)
    resource = factories.ResourceFactory(mailbox_email=ROOM)

    admin_client.post(
        reverse("admin:syncconnections_syncconnection_add"),
        {
            "tenant": tenant.pk,
            "user_id": ROOM,
            "user_type": "resource",
            "calendar_name": "",
            "resource": resource.pk,
            "activate_after_validation": "on",
        },
    )

    connection = SyncConnection.objects.get()
    assert (connection.valid, connection.active) == (True, True)


def test_validate_connections_command_reports_and_fails_on_invalid(sandbox, tenant):
    sandbox.mailbox(ROOM)
    good = connection_for(tenant)
    bad = connection_for(tenant, user_id="room.gone@contoso.test")
    out = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("validate_connections", verbosity=2, stdout=out)

    assert out.getvalue().strip() == "1 of 2 connections are valid."
    assert str(caught.value).startswith("room.gone@contoso.test is not valid (get user):")
    assert SyncConnection.objects.get(pk=good.pk).valid
    assert not SyncConnection.objects.get(pk=bad.pk).valid


@pytest.mark.parametrize(
    ("granted", "allowed"),
    [
        ("validate_syncconnection", {"validate_selected"}),
        ("activate_syncconnection", {"activate_selected", "deactivate_selected"}),
    ],
)
def test_each_action_is_offered_only_with_its_permission(tenant, client, granted, allowed):
    connection = connection_for(tenant)
    user = factories.UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_syncconnection", "change_syncconnection", granted]
        )
    )
    client.force_login(user)

    page = client.get(reverse("admin:syncconnections_syncconnection_change", args=[connection.pk]))
    refused = {
        action: run(client, connection, action).status_code
        for action in {"validate_selected", "activate_selected", "deactivate_selected"} - allowed
    }

    assert {name for name, _ in page.context["object_actions"]} == allowed
    assert set(refused.values()) == {403}


def test_object_actions_refuse_get_and_unknown_ids(tenant, admin_client):
    connection = connection_for(tenant)
    url = "admin:syncconnections_syncconnection_run"

    # A GET (a reload, a bookmark) runs nothing and goes back to the connection.
    response = admin_client.get(reverse(url, args=[connection.pk, "validate_selected"]))
    assert response.status_code == 302
    assert response.url == reverse(
        "admin:syncconnections_syncconnection_change", args=[connection.pk]
    )
    connection.refresh_from_db()
    assert connection.last_validated_at is None
    assert (
        admin_client.post(reverse(url, args=["not-a-number", "validate_selected"])).status_code
        == 404
    )


def test_ticking_active_in_the_form_pushes_like_the_action(sandbox, tenant, admin_client):
    sandbox.mailbox(ROOM)
    connection = connection_for(tenant)
    connection_setup.validate(connection.pk)
    factories.ReservationFactory(resource=connection.resource, start=at(22, 9), end=at(22, 10))
    assert sandbox.events(ROOM) == []

    admin_client.post(
        reverse("admin:syncconnections_syncconnection_change", args=[connection.pk]),
        {
            "tenant": tenant.pk,
            "user_id": ROOM,
            "user_type": "resource",
            "calendar_name": "",
            "resource": connection.resource_id,
            "active": "on",
        },
    )

    assert len(sandbox.events(ROOM)) == 1


def test_a_missing_ca_file_is_a_recorded_one_line_connection_setup_error(
    sandbox, tenant, settings, tmp_path
):
    """What the cluster met when it validated before the sandbox wrote its certificate."""
    from errors.models import SyncError
    from syncconnections import connection_setup
    from syncconnections.graph import TokenProvider
    from syncconnections.models import SyncConnection, UserType
    from tests import factories

    sandbox.mailbox("room.late@contoso.test")
    connection = SyncConnection.objects.create(
        tenant=tenant,
        user_id="room.late@contoso.test",
        resource=factories.ResourceFactory(mailbox_email="room.late@contoso.test"),
        user_type=UserType.RESOURCE,
    )
    settings.GRAPH_CA_BUNDLE = str(tmp_path / "not-yet" / "ca.pem")
    TokenProvider.forget_all()

    result = connection_setup.validate(connection.pk)

    assert (result.valid, result.temporary) == (False, True)
    error = SyncError.objects.get()
    assert (error.operation, error.sync_connection) == ("connection_setup", connection)
    assert error.error_message == (
        f"The CA bundle {settings.GRAPH_CA_BUNDLE} (GRAPH_CA_BUNDLE) does not exist."
    )


def test_an_unexpected_error_while_validating_is_recorded_in_one_line(sandbox, tenant, monkeypatch):
    from errors.models import SyncError
    from syncconnections import connection_setup
    from syncconnections.graph import GraphClient
    from syncconnections.models import SyncConnection, UserType
    from tests import factories

    connection = SyncConnection.objects.create(
        tenant=tenant,
        user_id="room.odd@contoso.test",
        resource=factories.ResourceFactory(mailbox_email="room.odd@contoso.test"),
        user_type=UserType.RESOURCE,
    )

    def broken(self, mailbox):
        raise ValueError("no such thing\nand a second line")

    monkeypatch.setattr(GraphClient, "get_user", broken)

    result = connection_setup.validate(connection.pk)

    assert (result.valid, result.temporary, result.stage) == (False, True, "get user")
    assert SyncError.objects.get().error_message == ("Unexpected error (ValueError): no such thing")
