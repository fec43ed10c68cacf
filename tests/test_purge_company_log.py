"""Retention: purge_company_log deletes entries older than DAYS days, in batches."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncconnections import company_log
from syncconnections.models import CompanyLogEntry
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 30, 12, 0))


@pytest.fixture
def room():
    return factories.SyncConnectionFactory()


def logged(room, created_at):
    entry = factories.CompanyLogEntryFactory(sync_connection=room)
    CompanyLogEntry.objects.filter(pk=entry.pk).update(created_at=created_at)
    return entry.pk


def remaining():
    return set(CompanyLogEntry.objects.values_list("pk", flat=True))


def deletes(queries):
    return [q for q in queries if q["sql"].startswith("DELETE")]


def test_deletes_only_entries_older_than_the_days(room):
    cutoff = NOW - dt.timedelta(days=30)
    older = logged(room, cutoff - dt.timedelta(microseconds=1))
    much_older = logged(room, cutoff - dt.timedelta(days=400))
    at_cutoff = logged(room, cutoff)
    newer = logged(room, cutoff + dt.timedelta(seconds=1))

    deleted = company_log.purge(30, now=NOW)

    assert deleted == 2
    assert remaining() == {at_cutoff, newer}
    assert {older, much_older}.isdisjoint(remaining())


def test_deletes_in_batches_each_its_own_statement(room):
    old = [logged(room, NOW - dt.timedelta(days=31, minutes=n)) for n in range(7)]
    kept = logged(room, NOW - dt.timedelta(days=29))
    totals = []

    with CaptureQueriesContext(connection) as queries:
        deleted = company_log.purge(30, batch_size=3, now=NOW, on_batch=totals.append)

    assert deleted == len(old) == 7
    assert totals == [3, 6, 7]
    assert len(deletes(queries)) == 3  # 3 + 3 + 1, never a row loaded into Python
    assert [q for q in queries if q["sql"].startswith("SELECT")] == []
    assert remaining() == {kept}


def test_a_last_full_batch_is_followed_by_an_empty_one(room):
    for n in range(6):
        logged(room, NOW - dt.timedelta(days=60, minutes=n))
    totals = []

    with CaptureQueriesContext(connection) as queries:
        deleted = company_log.purge(30, batch_size=3, now=NOW, on_batch=totals.append)

    assert (deleted, totals, len(deletes(queries))) == (6, [3, 6], 3)
    assert remaining() == set()


def test_nothing_to_purge(room):
    kept = logged(room, NOW - dt.timedelta(days=1))

    assert company_log.purge(30, now=NOW) == 0
    assert remaining() == {kept}


def test_command_deletes_quietly_under_cron_and_reports_when_asked(room):
    now = timezone.now()
    logged(room, now - dt.timedelta(days=100))
    logged(room, now - dt.timedelta(days=95))
    logged(room, now - dt.timedelta(days=50))
    kept = logged(room, now - dt.timedelta(days=10))
    quiet, told = StringIO(), StringIO()

    call_command("purge_company_log", older_than=90, stdout=quiet)
    call_command("purge_company_log", "--older-than", "30", verbosity=2, stdout=told)

    assert quiet.getvalue() == ""
    assert told.getvalue() == "Deleted 1 company log entries older than 30 days.\n"
    assert remaining() == {kept}


def test_dry_run_counts_and_deletes_nothing(room):
    now = timezone.now()
    entries = {logged(room, now - dt.timedelta(days=days)) for days in (400, 31, 29)}
    out = StringIO()

    call_command("purge_company_log", older_than=30, dry_run=True, stdout=out)

    assert out.getvalue() == "2 entries older than 30 days would be deleted.\n"
    assert remaining() == entries


def test_batch_size_option(room):
    now = timezone.now()
    for n in range(5):
        logged(room, now - dt.timedelta(days=40, minutes=n))

    with CaptureQueriesContext(connection) as queries:
        call_command("purge_company_log", older_than=30, batch_size=2)

    assert len(deletes(queries)) == 3
    assert remaining() == set()


@pytest.mark.parametrize("days", ["0", "-5", "abc", "1.5", "", "36501"])
def test_refuses_a_bad_number_of_days(room, days):
    entry = logged(room, timezone.now() - dt.timedelta(days=400))

    with pytest.raises(CommandError) as refused:
        call_command("purge_company_log", older_than=days)

    assert str(refused.value) == (
        "Error: argument --older-than: must be a whole number of days from 1 to 36,500, "
        f"not {days!r}"
    )
    assert remaining() == {entry}


def test_requires_older_than():
    with pytest.raises(CommandError) as refused:
        call_command("purge_company_log")

    assert str(refused.value) == "Error: the following arguments are required: --older-than"


@pytest.mark.parametrize("size", ["0", "many"])
def test_refuses_a_bad_batch_size(size):
    with pytest.raises(CommandError) as refused:
        call_command("purge_company_log", "--older-than=30", f"--batch-size={size}")

    assert str(refused.value) == (
        f"Error: argument --batch-size: must be a whole number of at least 1, not {size!r}"
    )


@pytest.mark.parametrize("days", [0, -1, 36_501, True, 1.0])
def test_the_function_refuses_bad_days_too(days):
    with pytest.raises(ValueError, match="must be a whole number of days from 1 to 36,500"):
        company_log.purge(days)
