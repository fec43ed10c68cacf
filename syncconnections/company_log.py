"""The company log's search (its admin) and retention (`manage.py purge_company_log`).

docs/company-log.md explains both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

from syncconnections.models import CompanyLogEntry

# --- search --------------------------------------------------------------------------------------

# A whole address: something@domain.tld, no blanks or commas.
ADDRESS = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")


class AddressesMatch(Func):
    """Whether the entry's addresses (organizer, attendees, mailbox) hold this address as a
    phrase of words: the expression of the full-text index companylog_addresses_fts
    (migration 0005), in which the text search parser makes each address one word (or a few,
    for a `+`), so an address is found without reading the trigrams of its common domain.
    PostgreSQL only."""

    arg_joiner = " || ' ' || "
    template = (
        "to_tsvector('simple'::regconfig, %(expressions)s) "
        "@@ phraseto_tsquery('simple'::regconfig, %%s)"
    )
    output_field = BooleanField()

    def __init__(self, address: str) -> None:
        super().__init__(F("organizer_email"), F("attendee_emails"), F("mailbox"))
        self.address = address

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, (*params, self.address)


def search(queryset: QuerySet[CompanyLogEntry], text: str) -> QuerySet[CompanyLogEntry]:
    """The entries matching every term of the text (quotes keep words together).

    A whole e-mail address matches entries whose organizer, an attendee or the mailbox is
    that address (case aside). Any other term matches a part of the organizer, attendees,
    mailbox or subject, or a whole, case-sensitive Outlook event id.
    """
    vendor = connections[queryset.db].vendor
    conditions = [term_condition(term, vendor) for term in search_terms(text)]
    return queryset.filter(*conditions) if conditions else queryset


def search_terms(text: str) -> list[str]:
    """The terms as Django's admin splits a search."""
    terms = []
    for term in smart_split(text):
        if term.startswith(('"', "'")) and term[0] == term[-1]:
            term = unescape_string_literal(term)
        if term:
            terms.append(term)
    return terms


def term_condition(term: str, vendor: str) -> Q:
    if ADDRESS.fullmatch(term):
        return address_condition(term, vendor)
    # On PostgreSQL, icontains is UPPER(column) LIKE UPPER('%term%'), served by the trigram
    # indexes of migration 0002.
    return (
        Q(organizer_email__icontains=term)
        | Q(mailbox__icontains=term)
        | Q(attendee_emails__icontains=term)
        | Q(subject__icontains=term)
        | Q(event_id=term)
    )


def address_condition(address: str, vendor: str) -> Q:
    # The definition, on every database: the address between the start or end of the column
    # and a blank or a comma (attendees are ", "-separated).
    whole = rf"(^|[ ,]){re.escape(address)}($|[ ,])"
    condition = (
        Q(organizer_email__iregex=whole)
        | Q(attendee_emails__iregex=whole)
        | Q(mailbox__iregex=whole)
    )
    if vendor == "postgresql":
        # Finds the candidates through the full-text index; the regex above keeps the
        # meaning exactly the same as elsewhere.
        return Q(AddressesMatch(address)) & condition
    return condition


# --- retention -----------------------------------------------------------------------------------

BATCH_SIZE = 10_000
# Beyond a century the cut-off date leaves the calendar (and no log is that old).
MAX_DAYS = 36_500


def validate_days(days: int) -> None:
    """Refuse a retention that would purge everything (0) or is no number of days."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"must be a whole number of days from 1 to {MAX_DAYS:,}, not {days!r}")


def cutoff(days: int, now: dt.datetime | None = None) -> dt.datetime:
    """Entries created before this moment are older than `days` days."""
    validate_days(days)
    return (now or timezone.now()) - dt.timedelta(days=days)


def older_than(days: int, now: dt.datetime | None = None) -> QuerySet[CompanyLogEntry]:
    return CompanyLogEntry.objects.filter(created_at__lt=cutoff(days, now))


def purge(
    days: int,
    *,
    batch_size: int = BATCH_SIZE,
    now: dt.datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete the entries older than `days` days; the number deleted.

    One DELETE of at most `batch_size` entries per transaction, oldest first: inbound sync
    keeps writing meanwhile, no lock is held for long, and no entry is loaded into memory.
    `on_batch` is told the running total after each batch.
    """
    if batch_size < 1:
        raise ValueError(f"the batch size must be at least 1, not {batch_size!r}")
    old = older_than(days, now)
    total = 0
    while True:
        # Oldest first through companylog_created, whose entries for deleted rows are
        # skipped once marked dead, so later batches do not wade through earlier ones.
        batch = old.order_by("created_at").values("pk")[:batch_size]
        with transaction.atomic():
            deleted, _ = CompanyLogEntry.objects.filter(pk__in=batch).delete()
        total += deleted
        if on_batch is not None and deleted:
            on_batch(total)
        if deleted < batch_size:
            return total
