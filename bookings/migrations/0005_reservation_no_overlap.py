"""The database refuses two reservations holding one room at overlapping times (PostgreSQL:
an exclusion constraint; on SQLite the rule is checked by Reservation.save() under the write
lock). Reservations that already overlap stop the migration, named, rather than being changed
behind anyone's back."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.core.management.base import CommandError
from django.db import migrations

# Every status but cancelled holds its room (ReservationStatus.occupies_room).
CONSTRAINT = """
    ALTER TABLE bookings_reservation ADD CONSTRAINT reservation_no_overlap
    EXCLUDE USING gist (resource_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (exclusive AND status <> 'cancelled')
"""

OVERLAPS = """
    SELECT a.id, b.id FROM bookings_reservation a
    JOIN bookings_reservation b
      ON b.resource_id = a.resource_id AND b.id > a.id
     AND b."start" < a."end" AND a."start" < b."end"
    WHERE a.exclusive AND b.exclusive AND a.status <> 'cancelled' AND b.status <> 'cancelled'
    ORDER BY a.id, b.id
"""


def refuse_existing_overlaps(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        pairs = cursor.fetchall()
    if pairs:
        named = ", ".join(f"#{a} and #{b}" for a, b in pairs[:10])
        # A CommandError: `manage.py migrate` says it in one line and exits non-zero.
        raise CommandError(
            f"{len(pairs)} pair(s) of reservations hold the same room at overlapping times "
            f"({named}{', …' if len(pairs) > 10 else ''}). Cancel or move one of each pair, or "
            "tick “shared space” on a room where overlap is intended, then migrate again."
        )


def add_constraint(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT)


def drop_constraint(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE bookings_reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap"
        )


class Migration(migrations.Migration):
    dependencies = [("bookings", "0004_no_double_booking")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(refuse_existing_overlaps, migrations.RunPython.noop),
        migrations.RunPython(add_constraint, drop_constraint),
    ]
