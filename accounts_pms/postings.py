"""A reservation's posting account (at the start status) and its charges (at the end status).

Both are claimed with a conditional update before Rover is called, so two jobs for the same
reservation never both call. Charges carry a reference number each, and the posting account's
charges are read before posting: a charge Rover applied just before a time-out is found there
and not posted again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts_pms import callouts
from accounts_pms.models import (
    CalloutState,
    PmsOperation,
    PostingAccount,
    StayNTouchRequest,
    StayNTouchSettings,
)
from accounts_pms.rover import RoverClient
from bookings.models import Reservation

NOT_LINKED = "The company ({account}) is not yet in StayNTouch: sync the account first."


@dataclass
class Outcome:
    ok: bool
    message: str
    busy: bool = False  # another job is doing it right now


def on_status(reservation_id: int) -> list[Outcome]:
    """Do what the reservation's current status asks for in Rover (nothing, mostly)."""
    stayntouch = StayNTouchSettings.sending()
    reservation = load_reservation(reservation_id)
    if stayntouch is None or reservation is None:
        return []
    if not reservation.account_id:
        return []
    if reservation.status == stayntouch.start_status:
        return [ensure_posting_account(reservation, stayntouch)]
    if reservation.status == stayntouch.end_status:
        return [post_charges(reservation, stayntouch)]
    return []


def ensure_posting_account(
    reservation: Reservation,
    stayntouch: StayNTouchSettings,
    retried: StayNTouchRequest | None = None,
) -> Outcome:
    """One posting account per reservation, ever."""
    link = getattr(reservation.account, "rover_link", None)
    if link is None or not link.is_linked:
        request = callouts.start(
            PmsOperation.CREATE_POSTING_ACCOUNT,
            account_id=reservation.account_id,
            reservation_id=reservation.pk,
            request=retried,
        )
        message = NOT_LINKED.format(account=reservation.account)
        callouts.fail_without_call(request, message)
        return Outcome(False, message)
    posting = _claim_posting(reservation, link.rover_id)
    if posting is None:
        message = f"A posting account for {reservation} is being created already."
        return Outcome(False, message, busy=True)
    if posting.rover_id:
        _settle(retried, f"Done since: posting account {posting.rover_id}.")
        return Outcome(True, f"{reservation} has posting account {posting.rover_id}.")
    payload = {
        "type": "HOUSE",
        "account_id": int(link.rover_id) if link.rover_id.isdigit() else link.rover_id,
        "name": f"{reservation.title} ({timezone.localtime(reservation.start):%Y-%m-%d %H:%M})",
    }
    request = callouts.start(
        PmsOperation.CREATE_POSTING_ACCOUNT,
        account_id=reservation.account_id,
        reservation_id=reservation.pk,
        body=payload,
        request=retried,
    )
    try:
        created = callouts.call(
            request,
            RoverClient.from_settings(stayntouch),
            lambda c: c.create_posting_account(payload),
        )
    except callouts.CalloutFailed as exc:
        PostingAccount.objects.filter(
            pk=posting.pk, rover_id="", claimed_at=posting.claimed_at
        ).delete()  # released
        return Outcome(False, f"No posting account for {reservation}: {exc.error}")
    stored = PostingAccount.objects.filter(
        pk=posting.pk, rover_id="", claimed_at=posting.claimed_at
    ).update(rover_id=str(created["id"]))
    if not stored:  # another job took the claim over meanwhile
        message = (
            f"Posting account {created['id']} was made for {reservation}, but another job "
            "took over meanwhile: check StayNTouch for a second posting account."
        )
        callouts.fail_without_call(request, message)
        return Outcome(False, message)
    return Outcome(True, f"Created posting account {created['id']} for {reservation}.")


def post_charges(
    reservation: Reservation,
    stayntouch: StayNTouchSettings,
    retried: StayNTouchRequest | None = None,
) -> Outcome:
    """Post the resource price and each booked service, once."""
    posting = PostingAccount.objects.filter(reservation=reservation).exclude(rover_id="").first()
    if posting is None:
        made = ensure_posting_account(reservation, stayntouch)
        if made.busy:
            # Left as a failed request, so the charges follow once the posting account exists.
            return _not_posted(reservation, retried, f"{made.message} The charges wait for it.")
        if not made.ok:
            return made
        posting = PostingAccount.objects.get(reservation=reservation)
    if posting.charges_posted_at is not None:
        _settle(retried, "Done since: the charges were posted.")
        return Outcome(True, f"The charges of {reservation} were posted already.")
    charges, problem = charges_of(reservation)
    if problem:
        return _not_posted(reservation, retried, problem)
    if not charges:
        PostingAccount.objects.filter(pk=posting.pk).update(charges_posted_at=timezone.now())
        _settle(retried, "Nothing to charge.")
        return Outcome(True, f"{reservation} has nothing to charge.")
    if not _claim_charges(posting):
        return Outcome(False, f"The charges of {reservation} are being posted already.")
    payload = {"charges": charges, "datetime": _rover_time(timezone.now())}
    request = callouts.start(
        PmsOperation.POST_CHARGES,
        account_id=reservation.account_id,
        reservation_id=reservation.pk,
        body=payload,
        request=retried,
    )
    client = RoverClient.from_settings(stayntouch)
    try:
        posted = callouts.call(request, client, lambda c: _post_missing(c, posting, payload))
    except callouts.CalloutFailed as exc:
        PostingAccount.objects.filter(pk=posting.pk).update(charges_claimed_at=None)
        return Outcome(False, f"The charges of {reservation} were not posted: {exc.error}")
    PostingAccount.objects.filter(pk=posting.pk).update(charges_posted_at=timezone.now())
    return Outcome(True, f"Posted {len(posted['posted'])} charge(s) of {reservation}.")


def charges_of(reservation: Reservation) -> tuple[list[dict[str, Any]], str]:
    """The resource price and each service reservation, each with its charge code; and what
    is missing for it, if anything. Nothing is charged for what costs nothing."""
    resource = reservation.resource
    items = [(resource.charge_code, resource.price, f"BB-{reservation.pk}-R", resource)]
    for booked in reservation.service_reservations.select_related("service").order_by("pk"):
        reference = f"BB-{reservation.pk}-S{booked.pk}"
        items.append((booked.service.charge_code, booked.amount, reference, booked))
    charges, uncoded = [], []
    for code, amount, reference, what in items:
        if not amount:
            continue
        if not code.strip():
            uncoded.append(str(what))
            continue
        charges.append(_charge(code, amount, reference, what))
    if uncoded:
        return [], (
            f"The charges of {reservation} were not posted: no charge code for "
            f"{', '.join(uncoded)}. Add it, then retry."
        )
    return charges, ""


def _charge(code: str, amount: Decimal, reference: str, what: Any) -> dict[str, Any]:
    # Two decimals exactly; a float of such a value prints as exactly those digits.
    return {
        "reference_text": str(what),
        "reference_number": reference,
        "is_payment": None,
        "charge_code": code,
        "bill_number": None,
        "amount": float(amount.quantize(Decimal("0.01"))),
    }


def _post_missing(
    client: RoverClient, posting: PostingAccount, payload: dict[str, Any]
) -> dict[str, Any]:
    """Post the charges Rover does not have yet (by reference number). What was done, for
    the request log."""
    present = {c.get("reference_number") for c in client.list_charges(posting.rover_id)}
    missing = [c for c in payload["charges"] if c["reference_number"] not in present]
    answer = (
        client.post_charges(posting.rover_id, {**payload, "charges": missing}) if missing else None
    )
    return {
        "posted": [c["reference_number"] for c in missing],
        "already_in_rover": sorted(present & {c["reference_number"] for c in payload["charges"]}),
        "answer": answer,
    }


def _not_posted(
    reservation: Reservation, retried: StayNTouchRequest | None, message: str
) -> Outcome:
    request = callouts.start(
        PmsOperation.POST_CHARGES,
        account_id=reservation.account_id,
        reservation_id=reservation.pk,
        request=retried,
    )
    callouts.fail_without_call(request, message)
    return Outcome(False, message)


def _claim_posting(reservation: Reservation, company_id: str) -> PostingAccount | None:
    try:
        with transaction.atomic():
            return PostingAccount.objects.create(
                reservation=reservation, rover_account_id=company_id
            )
    except IntegrityError:
        pass
    posting = PostingAccount.objects.get(reservation=reservation)
    if posting.rover_id:
        return posting
    now = timezone.now()
    taken = PostingAccount.objects.filter(
        pk=posting.pk, rover_id="", claimed_at__lt=now - callouts.STALE_CLAIM
    ).update(claimed_at=now)
    posting.claimed_at = now
    return posting if taken else None


def _claim_charges(posting: PostingAccount) -> bool:
    now = timezone.now()
    return bool(
        PostingAccount.objects.filter(pk=posting.pk, charges_posted_at=None)
        .filter(Q(charges_claimed_at=None) | Q(charges_claimed_at__lt=now - callouts.STALE_CLAIM))
        .update(charges_claimed_at=now)
    )


def _settle(retried: StayNTouchRequest | None, note: str) -> None:
    if retried is not None and retried.state == CalloutState.FAILED:
        callouts.succeed_without_call(retried, note)


def load_reservation(reservation_id: int) -> Reservation | None:
    return (
        Reservation.objects.select_related("account__rover_link", "resource")
        .filter(pk=reservation_id)
        .first()
    )


def _rover_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )
