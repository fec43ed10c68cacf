"""Shared set-up for the StayNTouch tests: settings aimed at the sandbox's Rover, the
example account of the StayNTouch sync documentation, Rover's request log."""

from __future__ import annotations

from accounts_pms.models import StayNTouchSettings
from bookings.models import Account


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
