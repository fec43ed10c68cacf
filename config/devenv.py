"""Keep in .env what `make run` chose, so any `.venv/bin/python manage.py …` in another
shell talks to the same sandbox and the same site (settings read .env; the environment
still wins over it).

    python -m config.devenv .env KEY=VALUE …
    python -m config.devenv .env --run HOST PORT SANDBOX_PORT CA_FILE   (what make run does)

Each KEY's uncommented line is replaced (or added at the end); everything else is kept.
The file is replaced in one step, so it is never half written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def for_run(host: str, port: str, sandbox_port: str, ca_file: str, root: Path) -> list[str]:
    """The KEY=VALUE arguments for a `make run` on these ports."""
    sandbox = f"https://127.0.0.1:{sandbox_port}"
    return [
        f"PUBLIC_BASE_URL=http://{host}:{port}",
        f"SANDBOX_ORIGIN={sandbox}",
        f"GRAPH_API_ROOT={sandbox}",
        f"GRAPH_AUTHORITY_HOST={sandbox}",
        f"GRAPH_CA_BUNDLE={(root / ca_file).resolve()}",
        # Google's APIs and token endpoint too (the CA bundle follows GRAPH_CA_BUNDLE).
        f"GOOGLE_API_ROOT={sandbox}",
        f"GOOGLE_TOKEN_URI={sandbox}/token",
    ]


def write(env_file: Path, values: dict[str, str]) -> None:
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    kept = [line for line in lines if line.split("=", 1)[0].strip() not in values]
    kept += [f"{key}={value}" for key, value in values.items()]
    partial = env_file.with_name(f".{env_file.name}.{os.getpid()}.tmp")
    partial.write_text("\n".join(kept) + "\n")
    os.replace(partial, env_file)


def main(arguments: list[str]) -> int:
    if len(arguments) == 6 and arguments[1] == "--run":
        pairs = for_run(*arguments[2:], root=Path.cwd())
    elif arguments and all("=" in a for a in arguments[1:]):
        pairs = arguments[1:]
    else:
        print(
            "usage: python -m config.devenv ENV_FILE (KEY=VALUE … | --run HOST PORT "
            "SANDBOX_PORT CA_FILE)",
            file=sys.stderr,
        )
        return 2
    write(Path(arguments[0]), dict(p.split("=", 1) for p in pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
