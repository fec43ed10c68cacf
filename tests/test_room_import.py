"""Import rooms from Microsoft 365: list, match by mailbox, create connections once."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from bookings.models import Location, Resource
from syncconnections.models import SyncConnection
from tests import factories
from tests.helpers import messages_of
from tests.sync_helpers import sandbox_tenant

pytestmark = pytest.mark.django_db
URL = "admin:syncconnections_syncconnection_import_rooms"


@pytest.fixture
def rooms(sandbox):
    sandbox.seed(
        room_lists=[{"address": "rooms.hq@contoso.test", "display_name": "HQ rooms"}],
        rooms=[
            {
                "address": "room.a@contoso.test",
                "display_name": "Room A",
                "capacity": 8,
                "room_list": "rooms.hq@contoso.test",
            },
            {
                "address": "room.b@contoso.test",
                "display_name": "Room B",
                "capacity": 4,
                "room_list": "rooms.hq@contoso.test",
            },
            {"address": "room.c@contoso.test", "display_name": "Room C"},
        ],
    )
    return sandbox_tenant()


def test_lists_rooms_by_list_with_their_matched_resources(rooms, admin_client):
    room_a = factories.ResourceFactory(mailbox_email="room.a@contoso.test")

    page = admin_client.get(reverse(URL), {"tenant": rooms.pk})

    assert [(r.address, r.room_list, r.resource) for r in page.context["rows"]] == [
        ("room.a@contoso.test", "HQ rooms", room_a),
        ("room.b@contoso.test", "HQ rooms", None),
        ("room.c@contoso.test", "", None),
    ]


def test_import_creates_validated_connections_and_twice_creates_nothing(rooms, admin_client):
    room_a = factories.ResourceFactory(mailbox_email="room.a@contoso.test")
    chosen_b = factories.ResourceFactory(name="Chosen by hand")
    form = {
        "room": ["room.a@contoso.test", "room.b@contoso.test"],
        "resource:room.a@contoso.test": room_a.pk,
        "resource:room.b@contoso.test": chosen_b.pk,
    }

    first = admin_client.post(f"{reverse(URL)}?tenant={rooms.pk}", form, follow=True)
    second = admin_client.post(f"{reverse(URL)}?tenant={rooms.pk}", form, follow=True)

    connections = SyncConnection.objects.order_by("user_id")
    assert [(c.user_id, c.resource, c.user_type, c.valid, c.active) for c in connections] == [
        ("room.a@contoso.test", room_a, "resource", True, True),
        ("room.b@contoso.test", chosen_b, "resource", True, True),
    ]
    assert messages_of(first)[-1] == (
        "Created 2 connection(s); they are being validated and become active once valid. "
        "Already connected: 0."
    )
    assert messages_of(second)[-1].startswith("Created 0 connection(s);")


def test_a_ticked_room_without_a_resource_imports_nothing(rooms, admin_client):
    response = admin_client.post(
        f"{reverse(URL)}?tenant={rooms.pk}", {"room": ["room.c@contoso.test"]}, follow=True
    )

    assert SyncConnection.objects.count() == 0
    assert messages_of(response) == [
        "Choose a resource for: room.c@contoso.test.",
        "Nothing was imported.",
    ]


def test_a_graph_failure_is_shown_in_place(rooms, sandbox, admin_client):
    sandbox.permissions(["Calendars.ReadWrite"])

    page = admin_client.get(reverse(URL), {"tenant": rooms.pk})

    assert page.status_code == 200
    assert page.context["problem"].startswith(
        "Microsoft 365 did not list the rooms of Contoso: 403 ErrorAccessDenied"
    )


def test_needs_the_add_permission(rooms, client):
    client.force_login(factories.UserFactory())
    assert client.get(reverse(URL)).status_code == 403


def post(client, tenant, **choices):
    """Tick the rooms given as address=resource (a Resource, or a Location for a new one)."""
    form = {"room": list(choices)}
    for address, target in choices.items():
        if isinstance(target, Location):
            form[f"resource:{address}"] = "new"
            form[f"location:{address}"] = target.pk
            form[f"name:{address}"] = address.split("@")[0].replace(".", " ").title()
            form[f"capacity:{address}"] = "8"
        else:
            form[f"resource:{address}"] = target.pk
    return client.post(f"{reverse(URL)}?tenant={tenant.pk}", form, follow=True)


def test_the_connection_form_s_checks_apply_and_nothing_is_half_imported(
    rooms, sandbox, admin_client
):
    sandbox.seed(rooms=[{"address": "room.x@fabrikam.test", "display_name": "Room X"}])
    connected = factories.ResourceFactory(name="Taken")
    SyncConnection.objects.create(
        tenant=rooms, user_id="room.old@contoso.test", resource=connected, user_type="resource"
    )
    free = factories.ResourceFactory(name="Free")

    response = post(
        admin_client,
        rooms,
        **{
            "room.a@contoso.test": free,
            "room.b@contoso.test": free,
            "room.c@contoso.test": connected,
            "room.x@fabrikam.test": free,
        },
    )

    assert messages_of(response) == [
        f"{free} is chosen for both room.a@contoso.test and room.b@contoso.test.",
        f"{connected} is connected already, to room.old@contoso.test.",
        "room.x@fabrikam.test is not in the e-mail domains of Contoso (contoso.test).",
        f"{free} is chosen for both room.a@contoso.test and room.x@fabrikam.test.",
        "Nothing was imported.",
    ]
    assert list(SyncConnection.objects.values_list("user_id", flat=True)) == [
        "room.old@contoso.test"
    ]


def test_an_integration_admin_imports_a_room_as_a_new_resource(rooms, client):
    call_command("setup_roles")
    user = factories.UserFactory(username="integration")
    user.groups.add(Group.objects.get(name="Integration admin"))
    client.force_login(user)
    hq = factories.LocationFactory(name="HQ")

    listing = client.get(reverse(URL), {"tenant": rooms.pk})
    response = post(client, rooms, **{"room.c@contoso.test": hq})

    assert listing.context["may_add_resources"] is True
    resource = Resource.objects.get(mailbox_email="room.c@contoso.test")
    assert (resource.name, resource.location, resource.capacity) == ("Room C", hq, 8)
    connection = SyncConnection.objects.get()
    assert (connection.user_id, connection.resource) == ("room.c@contoso.test", resource)
    assert messages_of(response)[-1] == (
        "Created 1 connection(s); they are being validated and become active once valid. "
        "Already connected: 0. New resources: Room C (HQ)."
    )


def test_a_new_resource_needs_the_permission_to_add_resources(rooms, client):
    user = factories.UserFactory(username="connector")
    user.user_permissions.add(*Permission.objects.filter(codename="add_syncconnection"))
    client.force_login(user)
    hq = factories.LocationFactory(name="HQ")

    response = post(client, rooms, **{"room.c@contoso.test": hq})

    assert not Resource.objects.exists()
    assert messages_of(response) == [
        "Choose a resource for: room.c@contoso.test.",
        "Nothing was imported.",
    ]
