"""Reading a Google service account key file (the JSON an admin downloads)."""

from __future__ import annotations

import json
from typing import Any

KEY_FIELDS = ("type", "client_email", "private_key", "client_id")


def parse_key(text: str) -> dict[str, Any]:
    """The key file's fields; ValueError saying what is wrong with it."""
    try:
        info = json.loads(text)
    except ValueError:
        raise ValueError("This is not a key file: it is not JSON.") from None
    if not isinstance(info, dict):
        raise ValueError("This is not a key file: it is not a JSON object.")
    missing = [name for name in KEY_FIELDS if not info.get(name)]
    if missing:
        raise ValueError(f"This is not a service account key file: no {', '.join(missing)}.")
    if info["type"] != "service_account":
        raise ValueError(
            f"This key file is of type {info['type']!r}; a service account's is "
            "'service_account' (IAM & Admin > Service accounts > Keys > Add key > JSON)."
        )
    return info


def key_problem(text: str) -> str:
    try:
        parse_key(text)
    except ValueError as exc:
        return str(exc)
    return ""
