"""Migration operations shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import migrations


def trigram_indexes(table: str, columns: Sequence[str], prefix: str) -> migrations.RunPython:
    """PostgreSQL trigram GIN indexes serving the admin's case-insensitive `icontains` search.

    Django searches with `UPPER(column::text) LIKE UPPER('%term%')`; the indexes are on exactly
    that expression. SQLite has no such index and keeps a table scan (development only).
    """

    def create(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {prefix}_{column}_trgm ON {table} "
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {prefix}_{column}_trgm")

    return migrations.RunPython(create, drop, elidable=False)
