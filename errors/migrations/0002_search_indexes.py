from django.db import migrations

from common.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("errors", "0001_initial")]

    operations = [trigram_indexes("errors_syncerror", ("stage",), prefix="syncerror")]
