from syncconnections.models.company_log import CompanyLogEntry, LogOperation
from syncconnections.models.conflicts import ConflictOrigin, ConflictState, OutlookConflict
from syncconnections.models.connections import SyncConnection, UserType, lock_calendars
from syncconnections.models.inbound import IgnoredNotification, SubscriptionRequest, SyncRequest
from syncconnections.models.outbound import (
    EventKind,
    OutboxEntry,
    OutlookCreation,
    OutlookEvent,
    WakeUp,
    link_order,
)
from syncconnections.models.tenants import CalendarProvider, GraphApiVersion, SyncMode, Tenant

__all__ = [
    "CalendarProvider",
    "CompanyLogEntry",
    "ConflictOrigin",
    "ConflictState",
    "EventKind",
    "GraphApiVersion",
    "IgnoredNotification",
    "LogOperation",
    "OutboxEntry",
    "OutlookConflict",
    "OutlookCreation",
    "OutlookEvent",
    "SubscriptionRequest",
    "SyncConnection",
    "SyncMode",
    "SyncRequest",
    "Tenant",
    "UserType",
    "WakeUp",
    "link_order",
    "lock_calendars",
]
