"""“Sync to StayNTouch”: find the account's company in Rover, or create it, and link it.

The account is claimed first (its RoverAccountLink row, keyed by the account, is created
empty), so pressing twice — or two people at once — never creates a second company. Rover is
always searched before anything is created: a sync cut off after Rover created the company
finds it on the next try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts_pms import callouts
from accounts_pms.models import (
    SWITCHED_OFF,
    CalloutState,
    PmsOperation,
    RoverAccountLink,
    StayNTouchRequest,
    StayNTouchSettings,
)
from accounts_pms.rover import RoverClient
from bookings.models import Account


@dataclass
class AccountSync:
    account: Account
    ok: bool
    message: str
    rover_id: str = ""
    request: StayNTouchRequest | None = None


def account_payload(account: Account) -> dict[str, Any]:
    """The company as Rover's accounts API takes it (the source documents' contract)."""

    def value(text: str) -> str | None:
        return text or None

    return {
        "type": "COMPANY",
        "primary_contact": {
            "phone": value(account.contact_phone),
            "last_name": value(account.contact_last_name),
            "job_title": value(account.contact_job_title),
            "first_name": value(account.contact_first_name),
            "email": value(account.contact_email),
        },
        "name": account.name,
        "address": {
            "street3": value(account.street3),
            "street2": value(account.street2),
            "street1": value(account.street1),
            "state": value(account.state),
            "postal_code": value(account.postal_code),
            "country": value(account.country),
            "city": value(account.city),
        },
        "account_number": value(account.account_number),
    }


def missing_data(account: Account) -> list[str]:
    required = {
        "name": account.name.strip(),
        "contact last name": account.contact_last_name.strip(),
        "contact e-mail": account.contact_email.strip(),
    }
    return [label for label, value in required.items() if not value]


def sync_account(account: Account, retried: StayNTouchRequest | None = None) -> AccountSync:
    """Link the account to its Rover company, creating the company when Rover has none.

    `retried` is a failed request of this account being tried again: it records the call it
    stands for, or is marked done when the account turns out to be linked already.
    """
    stayntouch = StayNTouchSettings.current()
    if stayntouch is None:
        return AccountSync(account, False, "StayNTouch is not set up: add its settings first.")
    if not stayntouch.enabled:
        return AccountSync(account, False, SWITCHED_OFF)
    missing = missing_data(account)
    if missing:
        return AccountSync(
            account,
            False,
            f"{account} was not sent to StayNTouch: it has no {', no '.join(missing)}.",
        )
    link = _claim(account)
    if link is None:
        return AccountSync(account, False, f"{account} is being synced right now; try again soon.")
    if link.is_linked:
        _settle(retried, link.rover_id)
        return AccountSync(
            account,
            True,
            f"{account} is already in StayNTouch (Rover id {link.rover_id}).",
            link.rover_id,
        )
    client = RoverClient.from_settings(stayntouch)
    reuse = {retried.operation: retried} if retried else {}
    try:
        found = _find(client, account, reuse.get(PmsOperation.FIND_ACCOUNT))
        if found is None:
            created = _create(client, account, reuse.get(PmsOperation.CREATE_ACCOUNT))
    except callouts.CalloutFailed as exc:
        link.delete()  # released: the next press starts afresh
        return AccountSync(
            account,
            False,
            f"{account} was not synced: StayNTouch answered {exc.error}",
            request=exc.request,
        )
    rover_id = found or created
    problem = _link(link, rover_id)
    if problem:
        return AccountSync(account, False, problem)
    _settle(retried, rover_id)
    if found:
        message = f"Linked {account} to the existing StayNTouch company {found}."
    else:
        message = f"Created {account} in StayNTouch (Rover id {created})."
    return AccountSync(account, True, message, rover_id)


def _claim(account: Account) -> RoverAccountLink | None:
    """The account's link row, now ours; None when another sync holds it."""
    try:
        with transaction.atomic():
            return RoverAccountLink.objects.create(account=account)
    except IntegrityError:
        pass
    link = RoverAccountLink.objects.get(account=account)
    if link.is_linked:
        return link
    now = timezone.now()
    taken = RoverAccountLink.objects.filter(
        account=account, rover_id="", claimed_at__lt=now - callouts.STALE_CLAIM
    ).update(claimed_at=now)
    link.claimed_at = now
    return link if taken else None


def _find(client: RoverClient, account: Account, retried: StayNTouchRequest | None) -> str | None:
    """The Rover id of the company with this account number, else with exactly this name."""
    searches = [
        (field, value)
        for field, value in (
            ("account_number", account.account_number.strip()),
            ("name", account.name.strip()),
        )
        if len(value) >= 3  # Rover searches need three characters
    ]
    if not searches:
        return None
    request = callouts.start(
        PmsOperation.FIND_ACCOUNT,
        account_id=account.pk,
        body={"search_keyword": [value for _, value in searches]},
        request=retried,
    )
    ours = account.account_number.strip().casefold()
    for field, value in searches:
        results = callouts.call(request, client, lambda c, v=value: _all_companies(c, v))
        for company in results:
            theirs = (company.get("account_number") or "").strip().casefold()
            if ours and theirs and theirs != ours:
                continue  # the same name, but another company's number: not this one
            if (company.get(field) or "").strip().casefold() == value.casefold():
                return str(company["id"])
    return None


def _all_companies(client: RoverClient, keyword: str) -> list[dict[str, Any]]:
    companies, page = [], 1
    while True:
        answer = client.search_companies(keyword, page=page)
        companies += answer.get("results", [])
        if not answer.get("results") or len(companies) >= answer.get("total_count", 0):
            return companies
        page += 1


def _create(client: RoverClient, account: Account, retried: StayNTouchRequest | None) -> str:
    payload = account_payload(account)
    request = callouts.start(
        PmsOperation.CREATE_ACCOUNT, account_id=account.pk, body=payload, request=retried
    )
    created = callouts.call(request, client, lambda c: c.create_account(payload))
    return str(created["id"])


def _settle(retried: StayNTouchRequest | None, rover_id: str) -> None:
    if retried is not None and retried.state == CalloutState.FAILED:
        callouts.succeed_without_call(
            retried, f"Done since: the account is Rover company {rover_id}."
        )


def _link(link: RoverAccountLink, rover_id: str) -> str:
    """Store the Rover id, if the claim is still ours; a message when it could not be."""
    try:
        with transaction.atomic():
            stored = RoverAccountLink.objects.filter(
                account=link.account_id, rover_id="", claimed_at=link.claimed_at
            ).update(rover_id=rover_id, linked_at=timezone.now())
    except IntegrityError:
        RoverAccountLink.objects.filter(account=link.account_id, rover_id="").delete()
        other = RoverAccountLink.objects.select_related("account").get(rover_id=rover_id)
        return (
            f"{link.account} was not linked: Rover company {rover_id} is already linked to "
            f"the account {other.account}. Give the accounts their own account numbers."
        )
    if not stored:
        return (
            f"{link.account} was not linked: another sync took over meanwhile. Check the "
            "account's Rover id and StayNTouch for a duplicate company."
        )
    link.rover_id = rover_id
    return ""
