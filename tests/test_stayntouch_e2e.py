"""End to end: a reservation saved in the admin reaches Rover through a real task cluster,
the sandbox over HTTPS and (in CI) PostgreSQL — the job runs after the admin's transaction,
so the services saved with the reservation are charged too."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts_pms.accounts import sync_account
from accounts_pms.models import PostingAccount
from tests import factories
from tests.helpers import wait_until
from tests.pms_helpers import gen25, sandbox_stayntouch

pytestmark = [pytest.mark.real_cluster, pytest.mark.django_db(transaction=True)]


def test_a_completed_reservation_with_a_service_is_charged_once(
    sandbox, sandbox_server, start_cluster, admin_client
):
    sandbox_stayntouch(sandbox_server)
    account = gen25()
    assert sync_account(account).ok
    room = factories.ResourceFactory(price=Decimal("400.00"), charge_code="100101")
    lunch = factories.ServiceFactory(name="Lunch", price=Decimal("8.00"), charge_code="410")
    start_cluster(ROVER_CA_BUNDLE=str(sandbox_server.ca_file))

    response = admin_client.post(
        reverse("admin:bookings_reservation_add"),
        {
            "title": "Sales kick-off",
            "start_0": "2026-12-07",
            "start_1": "10:00",
            "end_0": "2026-12-07",
            "end_1": "12:00",
            "status": "completed",
            "resource": room.pk,
            "account": account.pk,
            "service_reservations-TOTAL_FORMS": "1",
            "service_reservations-INITIAL_FORMS": "0",
            "service_reservations-0-service": lunch.pk,
            "service_reservations-0-quantity": "2",
            "service_reservations-0-unit_price": "",
        },
    )
    posted = wait_until(
        lambda: PostingAccount.objects.filter(charges_posted_at__isnull=False).first()
    )

    assert response.status_code == 302
    assert posted is not None
    charges = sandbox.rover()["charges"][posted.rover_id]
    assert [(c["charge_code"], c["amount"]) for c in charges] == [("100101", 400.0), ("410", 16.0)]
    assert len(sandbox.rover()["posting_accounts"]) == 1
