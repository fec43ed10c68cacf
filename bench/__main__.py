"""Run every benchmark module (bench/bench_*.py) and print its figures as a table.

`python -m bench [NAME ...]` runs only the named ones (e.g. `sync_down`).

A benchmark module defines `run() -> list[tuple[str, str]]`: (measure, figure) rows. They run
against a throw-away database: SQLite in a temporary folder, or BENCH_DATABASE_URL (for
example a PostgreSQL database that may be emptied).
"""

import base64
import importlib
import os
import pkgutil
import sys
import tempfile
from pathlib import Path


def setup_django(folder: str) -> None:
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    )
    # Production settings: no query log, no debug SQL formatting.
    os.environ.update(
        DEBUG="false",
        SECRET_KEY="bench-" + os.urandom(24).hex(),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        SECURE_SSL_REDIRECT="false",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # Every run starts empty: a database given in BENCH_DATABASE_URL keeps the last run's rows.
    call_command("flush", interactive=False, verbosity=0)


def main() -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
        and (len(sys.argv) < 2 or m.name.removeprefix("bench_") in sys.argv[1:])
    )
    if not names:
        print("no benchmarks yet")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        rows: list[tuple[str, str, str]] = [("benchmark", "measure", "figure")]
        for name in names:
            module = importlib.import_module(f"bench.{name}")
            rows += [(name.removeprefix("bench_"), m, f) for m, f in module.run(folder)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
