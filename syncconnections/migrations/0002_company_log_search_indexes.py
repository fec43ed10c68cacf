from django.db import migrations

# Admin search runs `UPPER(column::text) LIKE UPPER('%term%')` on PostgreSQL; trigram GIN
# indexes on exactly that expression keep it fast at millions of rows. SQLite has no
# equivalent and keeps the plain B-tree indexes of 0001.
SEARCHED_COLUMNS = ("organizer_email", "mailbox", "attendee_emails", "subject", "event_id")
TABLE = "syncconnections_companylogentry"


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS companylog_{column}_trgm ON {TABLE} '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS companylog_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("syncconnections", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
