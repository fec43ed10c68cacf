"""SyncError: the one place where a failed synchronisation is recorded.

Call `errors.record(...)` (see errors.recording.record), and `errors.resolve(...)` once the
operation has succeeded again; both can be imported before the app
registry is ready, so any module may import it at the top.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from errors.recording import record as record
    from errors.recording import resolve as resolve
else:

    def record(**kwargs: Any) -> Any:
        from errors.recording import record as _record

        return _record(**kwargs)

    def resolve(*args: Any, **kwargs: Any) -> Any:
        from errors.recording import resolve as _resolve

        return _resolve(*args, **kwargs)
