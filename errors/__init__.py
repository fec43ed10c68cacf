"""SyncError: the one place where a failed synchronisation is recorded.

Call `errors.record(...)`; it is importable before the app registry is ready.
"""

from typing import Any


def record(**kwargs: Any) -> Any:
    """Record a SyncError. See errors.recording.record for the arguments."""
    from errors.recording import record as _record

    return _record(**kwargs)
