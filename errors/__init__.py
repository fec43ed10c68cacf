"""SyncError: the one place where a failed synchronisation is recorded.

Call `errors.record(...)` (see errors.recording.record); it can be imported before the app
registry is ready, so any module may import it at the top.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from errors.recording import record as record
else:

    def record(**kwargs: Any) -> Any:
        from errors.recording import record as _record

        return _record(**kwargs)
