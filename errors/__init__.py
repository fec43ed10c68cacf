"""SyncError: the one place where a failed synchronisation is recorded.

`errors.recording.record(...)` saves one, `errors.recording.resolve(...)` closes a
connection's open ones once the operation has succeeded again. This app knows the
connections only by a lazy model reference: it sits below syncconnections.
"""
