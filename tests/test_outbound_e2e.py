"""End to end: a reservation made in the admin reaches the room's calendar through a real
task cluster, the sandbox over HTTPS and (in CI) PostgreSQL."""

import pytest
from django.urls import reverse

from bookings.models import Reservation
from tests.helpers import wait_until
from tests.sync_helpers import connected_room, sandbox_tenant

pytestmark = [pytest.mark.real_cluster, pytest.mark.django_db(transaction=True)]


def reservation_form(room, **fields):
    return {
        "title": "Board meeting",
        "description": "",
        "start_0": "2026-12-09",
        "start_1": "10:00",
        "end_0": "2026-12-09",
        "end_1": "11:30",
        "status": "confirmed",
        "resource": room.resource.pk,
        "service_reservations-TOTAL_FORMS": "0",
        "service_reservations-INITIAL_FORMS": "0",
        **fields,
    }


def test_create_move_cancel_in_the_admin(sandbox, task_cluster, admin_client):
    room = connected_room(sandbox, sandbox_tenant())

    admin_client.post(reverse("admin:bookings_reservation_add"), reservation_form(room))
    reservation = Reservation.objects.get()
    created = wait_until(lambda: sandbox.events(room.user_id))

    assert len(created) == 1
    assert (created[0]["subject"], created[0]["transactionId"]) == (
        "Board meeting",
        str(reservation.uuid),
    )
    assert created[0]["start"]["dateTime"] == "2026-12-09T09:00:00.0000000"

    change = reverse("admin:bookings_reservation_change", args=[reservation.pk])
    admin_client.post(change, reservation_form(room, start_1="14:00", end_1="15:00"))
    moved = wait_until(
        lambda: [
            e
            for e in sandbox.events(room.user_id)
            if e["start"]["dateTime"].startswith("2026-12-09T13:00")
        ]
    )

    assert [e["id"] for e in moved] == [created[0]["id"]]

    admin_client.post(
        change, reservation_form(room, start_1="14:00", end_1="15:00", status="cancelled")
    )
    assert wait_until(lambda: sandbox.events(room.user_id) == [])
