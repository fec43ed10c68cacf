"""Background jobs of the Microsoft 365 integration (django-q2 task functions).

Each is safe to run twice and reads the current state when it runs."""

from __future__ import annotations

from syncconnections import outbound, validation


def push_outbound() -> dict[str, int]:
    return outbound.push_outbound()


def validate_connection(connection_id: int) -> str:
    return validation.validate(connection_id).summary
