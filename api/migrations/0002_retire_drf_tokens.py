"""DRF's tokens (rest_framework.authtoken) are retired in favour of API clients: their keys
were stored in clear and never expired (docs/api.md, "Upgrading from tokens"). Their table
goes, with its permissions and its record as applied, so no clear key is left behind."""

from django.db import migrations


def retire_drf_tokens(apps, schema_editor):
    if "authtoken_token" in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name('authtoken_token')}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()  # and their permissions


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(retire_drf_tokens, migrations.RunPython.noop)]
