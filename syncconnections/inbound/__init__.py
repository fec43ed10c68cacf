"""Inbound sync: what people do in Outlook reaches the back office.

Notifications (webhooks.py) and schedules ask for a sync of a connection (requests.py);
a worker reads the calendar with a delta query (delta.py) and applies it page by page
(apply.py). Subscriptions (subscriptions.py) keep the notifications coming. See
docs/sync.md."""
