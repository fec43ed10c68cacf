"""Run every benchmark module (bench/bench_*.py) and print its figures as a table.

A benchmark module defines `run() -> list[tuple[str, str]]`: (measure, figure) rows.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    if not names:
        print("no benchmarks yet")
        return 0
    rows: list[tuple[str, str, str]] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        rows += [(name.removeprefix("bench_"), measure, figure) for measure, figure in module.run()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
