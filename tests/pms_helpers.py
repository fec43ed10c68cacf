"""Shared set-up for the StayNTouch tests: settings aimed at the sandbox's Rover, the
example account of the StayNTouch sync documentation, Rover's request log."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from accounts_pms import retry
from accounts_pms.models import StayNTouchRequest, StayNTouchSettings
from bookings.models import Account, Reservation, ReservationStatus
from tests import factories

# The account payload of the StayNTouch sync documentation, exactly.
GEN25_PAYLOAD = {
    "type": "COMPANY",
    "primary_contact": {
        "phone": "0201234567",
        "last_name": "Doe",
        "job_title": None,
        "first_name": "John",
        "email": "john@doe.com",
    },
    "name": "Gen25",
    "address": {
        "street3": None,
        "street2": None,
        "street1": "Gustav Mahlerlaan 350b",
        "state": None,
        "postal_code": "1082ME",
        "country": "Nederland",
        "city": "Amsterdam",
    },
    "account_number": "FJ4575801",
}


def sandbox_stayntouch(sandbox_server, **fields) -> StayNTouchSettings:
    defaults = {
        "enabled": True,
        "api_base_url": f"{sandbox_server.url}/connect/",
        "auth_url": f"{sandbox_server.url}/oauth/token",
        "client_id": "sandbox-rover",
        "client_secret": "sandbox-secret",
        "hotel_id": 1,
        "api_version": "2.0",
        "start_status": "option",
        "end_status": "completed",
    }
    return StayNTouchSettings.objects.create(**{**defaults, **fields})


def gen25(**fields) -> Account:
    """The account whose payload the documentation shows."""
    defaults = {
        "name": "Gen25",
        "account_number": "FJ4575801",
        "street1": "Gustav Mahlerlaan 350b",
        "postal_code": "1082ME",
        "city": "Amsterdam",
        "country": "Nederland",
        "contact_first_name": "John",
        "contact_last_name": "Doe",
        "contact_email": "john@doe.com",
        "contact_phone": "0201234567",
    }
    return Account.objects.create(**{**defaults, **fields})


def rover_calls(sandbox, since: int = 0) -> list[tuple[str, str]]:
    """(method, path) of every Rover API call (the token endpoint left out)."""
    return [
        (r["method"], r["path"])
        for r in sandbox.requests(since)
        if r["path"].startswith("/connect/")
    ]


def booking(
    account: Account,
    status: str = ReservationStatus.CONCEPT,
    room_code: str = "100101",
    price: str = "400.00",
) -> Reservation:
    """The documentation's charges: a room at 400.00 (code 100101) and 2 × 8.00 of lunch
    (code 410)."""
    room = factories.ResourceFactory(name="Rembrandt", price=Decimal(price), charge_code=room_code)
    reservation = factories.ReservationFactory(
        resource=room, account=account, title="Sales kick-off", status=status
    )
    factories.ServiceReservationFactory(
        reservation=reservation,
        service=factories.ServiceFactory(name="Lunch", price=Decimal("8.00"), charge_code="410"),
        quantity=2,
    )
    return reservation


def set_status(reservation: Reservation, status: str) -> None:
    reservation.status = status
    reservation.save()


def due_for_retry(request: StayNTouchRequest) -> None:
    """As if the request's back-off were over."""
    StayNTouchRequest.objects.filter(pk=request.pk).update(
        updated_at=timezone.now() - retry.LONGEST_WAIT
    )
