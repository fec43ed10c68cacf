from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_upgrading_drops_the_retired_drf_tokens_with_their_clear_keys():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # Given the API app before the upgrade, and DRF's token table as its migrations left it
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id int)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('9944b09199c62bcf9418ad846dd0', 1)")
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('authtoken', '0001_initial', CURRENT_TIMESTAMP)"
        )

    # When the upgrade's migration runs
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0002_retire_drf_tokens")])

    # Then no table holds the keys, and none is recorded as applied
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)
