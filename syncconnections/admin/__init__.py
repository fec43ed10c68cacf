"""The Microsoft 365 admin pages, one module per model (imported here to register them)."""

from syncconnections.admin import (
    company_log,
    conflicts,
    connections,
    inbound,
    outbound,
    reservations,
    sync_errors,
    tenants,
)

__all__ = [
    "company_log",
    "conflicts",
    "connections",
    "inbound",
    "outbound",
    "reservations",
    "sync_errors",
    "tenants",
]
