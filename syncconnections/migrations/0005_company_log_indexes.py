"""Company log: only the indexes its admin and inbound sync use (docs/company-log.md).

The Outlook event id is searched whole, through its B-tree index, so its trigram index goes:
it was the largest index of the table (about 460 MB at a million entries) and the dearest to
keep up as inbound sync writes entries. The B-tree indexes on organizer and mailbox served no
query (the admin search uses the trigram indexes), and the connection's own index is the
first column of companylog_connection.

A whole e-mail address is searched through a full-text index of the addresses instead of the
trigram indexes, whose look-up reads the long lists of its domain's trigrams (on PostgreSQL;
the expression is syncconnections.company_log.AddressesMatch's).
"""

import django.db.models.deletion
from django.db import migrations, models

from common.migration_operations import trigram_indexes

TABLE = "syncconnections_companylogentry"
CONNECTION_INDEX = "syncconnections_companylogentry_sync_connection_id_35a0fedb"
event_id_trigram = trigram_indexes(TABLE, ("event_id",), prefix="companylog")
ADDRESSES = (
    "to_tsvector('simple'::regconfig, organizer_email || ' ' || attendee_emails || ' ' || mailbox)"
)


def create_addresses_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS companylog_addresses_fts ON {TABLE} "
            f"USING gin (({ADDRESSES}))"
        )


def drop_addresses_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS companylog_addresses_fts")


class Migration(migrations.Migration):
    dependencies = [("syncconnections", "0004_inbound_sync")]

    operations = [
        migrations.RemoveIndex(model_name="companylogentry", name="companylog_organizer"),
        migrations.RemoveIndex(model_name="companylogentry", name="companylog_mailbox"),
        # Only the index goes: altering the field would drop and re-add the foreign key on
        # PostgreSQL (validated over the whole table, blocking inserts meanwhile) and copy the
        # table on SQLite. The name is Django's for this column on both.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="companylogentry",
                    name="sync_connection",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="log_entries",
                        to="syncconnections.syncconnection",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {CONNECTION_INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {CONNECTION_INDEX} "
                    f"ON {TABLE} (sync_connection_id)",
                    elidable=False,
                ),
            ],
        ),
        # The reverse of migration 0002's step for this column (PostgreSQL only).
        migrations.RunPython(
            event_id_trigram.reverse_code, event_id_trigram.code, elidable=False
        ),
        migrations.RunPython(create_addresses_index, drop_addresses_index, elidable=False),
    ]
