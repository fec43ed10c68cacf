from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The task cluster's heartbeat lives in a database cache (settings.CACHES["taskq"]) so
    # other processes can read it; createcachetable skips tables that already exist.
    call_command("createcachetable", "bookbridge_taskq_cache", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
